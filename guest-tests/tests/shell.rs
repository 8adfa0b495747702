//! A shell suite: `busybox sh -c SCRIPT` natively vs under the sentry (pipelines, command
//! substitution, exit statuses, subshells, background jobs and `wait`, traps, redirections,
//! here-documents, xargs, loops over piped input, kill). Busybox ash forks for pipelines,
//! subshells, command substitutions and background jobs, and runs applets such as `seq` or
//! `sort` by re-executing itself, so every test exercises fork, execve, wait and pipes.
//!
//! Besides native == sentry, each test checks the native stdout (and status, and stderr
//! where ash prints something) against an expectation written from POSIX shell semantics
//! (and ash's documented choices where POSIX leaves a choice, noted where it matters).
//!
//! In the sandbox /tmp is a private, initially empty tmpfs; natively it is the real /tmp, so
//! scripts name their files `/tmp/sentry-shell-test-$$-*` and remove them.

use guest_tests::{busybox, Output, Run};

fn run(script: &str) -> Output {
    Run::host(busybox())
        .args(["sh", "-c", script])
        .env("LC_ALL", "C")
        .assert_same()
}

/// Same on both sides; natively exit `status`, this stdout and an empty stderr.
fn sh(script: &str, status: i32, stdout: &str) {
    sh_err(script, status, stdout, "");
}

/// Same stdout and status on both sides (stderr not compared); natively exit `status`, this
/// stdout, and a stderr that is one of `stderrs`.
fn sh_any_stderr(script: &str, status: i32, stdout: &str, stderrs: &[&str]) {
    let native = Run::host(busybox())
        .args(["sh", "-c", script])
        .env("LC_ALL", "C")
        .assert_same_stdout();
    assert_eq!(
        native.code(),
        status,
        "native status of {script:?}:\n{native}"
    );
    assert_eq!(native.stdout_str(), stdout, "native stdout of {script:?}");
    assert!(
        stderrs.contains(&native.stderr_str().as_str()),
        "native stderr of {script:?}:\n{native}"
    );
}

/// Same on both sides; natively exit `status`, this stdout and this stderr.
fn sh_err(script: &str, status: i32, stdout: &str, stderr: &str) {
    let native = run(script);
    assert_eq!(
        native.code(),
        status,
        "native status of {script:?}:\n{native}"
    );
    assert_eq!(native.stdout_str(), stdout, "native stdout of {script:?}");
    assert_eq!(native.stderr_str(), stderr, "native stderr of {script:?}");
}

#[test]
fn pipeline_seq_sort_head() {
    sh("seq 1 10000 | sort -rn | head -3", 0, "10000\n9999\n9998\n");
}

#[test]
fn pipeline_tr_wc() {
    sh("echo a b c | tr ' ' '\\n' | wc -l", 0, "3\n");
}

#[test]
fn pipelines_bigger_than_a_pipe() {
    sh(
        "seq 1 100000 | wc -l; seq 1 100000 | sort -n | tail -1; \
         head -c 1000000 /dev/zero | wc -c; cat /dev/zero | head -c 1000000 | wc -c",
        0,
        "100000\n100000\n1000000\n1000000\n",
    );
}

#[test]
fn pipeline_writer_killed_by_sigpipe() {
    // `yes` never stops writing: once `head` exits it dies of SIGPIPE (status 141 under
    // pipefail, which reports the rightmost failing command).
    sh(
        "yes | head -2; yes | head -1 >/dev/null; echo $?; \
         set -o pipefail; yes | head -1 >/dev/null; echo $?",
        0,
        "y\ny\n0\n141\n",
    );
}

#[test]
fn command_substitution() {
    sh(
        "x=$(echo hi); echo \"$x$x\"; echo $(echo $(echo a)b)c; y=`echo back`; echo $y; \
         x=$(printf 'a\\n\\n\\n'); echo \"[$x]\"; $(exit 3); echo $?",
        0,
        "hihi\nabc\nback\n[a]\n3\n",
    );
}

#[test]
fn exit_statuses() {
    sh(
        "false; echo $?; sh -c 'exit 3'; echo $?; ! true; echo $?; ! false; echo $?; \
         true | false; echo $?; false | true; echo $?; (exit 5); echo $?",
        0,
        "1\n3\n1\n0\n1\n0\n5\n",
    );
}

#[test]
fn pipefail() {
    sh(
        "set -o pipefail; false | true; echo $?; true | true; echo $?; \
         (exit 3) | (exit 4) | true; echo $?",
        0,
        "1\n0\n4\n",
    );
}

#[test]
fn exit_status_of_the_script() {
    sh("exit 300", 44, "");
    sh("set -e; false; echo not reached", 1, "");
    sh("set -e; false || true; echo yes", 0, "yes\n");
    sh("exec echo replaced; echo not reached", 0, "replaced\n");
    sh_err(
        "nosuchcmd_sentry_test; echo $?",
        0,
        "127\n",
        "sh: nosuchcmd_sentry_test: not found\n",
    );
}

#[test]
fn children_killed_by_signals() {
    // ash reports a foreground child's death by signal on stderr.
    sh_err(
        "sh -c 'kill -TERM $$'; echo $?; sh -c 'kill -SEGV $$'; echo $?; \
         sh -c 'kill -KILL $$'; echo $?",
        0,
        "143\n139\n137\n",
        "Terminated\nSegmentation fault\nKilled\n",
    );
}

#[test]
fn subshells() {
    sh(
        "cd /tmp; (cd /; pwd); pwd; x=1; (x=2; echo $x); echo $x; \
         echo \"a:b:c\" | { IFS=: read x y z; echo \"$z$y$x\"; }",
        0,
        "/\n/tmp\n2\n1\ncba\n",
    );
}

#[test]
fn nested_shells_and_environment() {
    sh(
        "sh -c 'sh -c \"sh -c \\\"echo deep\\\"\"'; \
         export V=1; sh -c 'echo $V'; W=2 sh -c 'echo $W'; echo \"[$W]\"; \
         sh -c 'echo $0 $1 $#' name a b",
        0,
        "deep\n1\n2\n[]\nname a 2\n",
    );
}

#[test]
fn background_jobs_and_wait() {
    sh(
        "sleep 0.05 & wait $!; echo $?; (exit 5) & wait $!; echo $?; \
         (exit 1) & a=$!; (exit 2) & b=$!; wait $b; echo $?; wait $a; echo $?; \
         f() { echo in-f; return 3; }; f & wait $!; echo $?; \
         sleep 0.01 & sleep 0.02 & wait; echo all done $?; \
         wait 12345; echo $?",
        0,
        "0\n5\n2\n1\nin-f\n3\nall done 0\n127\n",
    );
}

#[test]
fn kill_background_sleep() {
    // ash reports a job's death by signal ("Killed") only if it reaps the job inside `wait`,
    // not when its SIGCHLD handling reaped it just before: stderr is left out.
    sh_any_stderr(
        "sleep 10 & kill -9 $!; wait $!; echo $?",
        0,
        "137\n",
        &["", "Killed\n"],
    );
    sh_any_stderr(
        "sleep 10 & p=$!; kill $p; wait $p; echo $?",
        0,
        "143\n",
        &["", "Terminated\n"],
    );
    // Killed by another background job while the shell waits for it.
    sh_any_stderr(
        "sleep 5 & p=$!; (sleep 0.05; kill $p) & wait $p; echo $?; wait; echo $?",
        0,
        "143\n0\n",
        &["", "Terminated\n"],
    );
    sh_err(
        "kill -0 $$; echo $?; kill -0 999999; echo $?",
        0,
        "0\n1\n",
        "sh: can't kill pid 999999: No such process\n",
    );
}

#[test]
fn traps() {
    sh(
        "trap 'echo got TERM' TERM; kill -TERM $$; echo after",
        0,
        "got TERM\nafter\n",
    );
    sh("trap 'echo bye' EXIT; echo main", 0, "main\nbye\n");
    sh("trap 'echo bye' EXIT; exit 3", 3, "bye\n");
    // A subshell does not inherit the EXIT trap but runs its own.
    sh(
        "trap 'echo parent' EXIT; (echo sub); ( trap 'echo sub-exit' EXIT; echo in-sub ); \
         echo main",
        0,
        "sub\nin-sub\nsub-exit\nmain\nparent\n",
    );
    // A signal from a child to the waiting shell runs the trap once the child is done.
    sh(
        "trap 'echo usr1' USR1; sh -c 'kill -USR1 $PPID'; echo after",
        0,
        "usr1\nafter\n",
    );
    // An ignored signal stays ignored across fork and exec.
    sh(
        "trap '' INT; sh -c 'kill -INT $$; echo survived'; echo $?",
        0,
        "survived\n0\n",
    );
}

#[test]
fn redirections() {
    sh(
        "f=/tmp/sentry-shell-test-$$-f; echo x > $f; cat < $f; echo y >> $f; wc -l < $f; \
         rm -f $f; ls $f 2>/dev/null || echo removed",
        0,
        "x\n2\nremoved\n",
    );
    sh(
        "{ echo out; echo err >&2; } 2>&1 | cat; \
         { echo out2; echo err2 >&2; } 2>&1 >/dev/null | cat",
        0,
        "out\nerr\nerr2\n",
    );
    sh(
        "g=/tmp/sentry-shell-test-$$-g; exec 3>$g; echo z >&3; echo w >&3; exec 3>&-; \
         cat $g; exec 4<$g; read a <&4; read b <&4; exec 4<&-; echo \"$b$a\"; rm -f $g",
        0,
        "z\nw\nwz\n",
    );
    // A FIFO between a background job and the shell's foreground `cat`.
    sh(
        "f=/tmp/sentry-shell-test-$$-fifo; mkfifo $f; (echo via-fifo > $f) & cat $f; \
         wait $!; echo $?; rm $f",
        0,
        "via-fifo\n0\n",
    );
}

#[test]
fn here_documents() {
    sh(
        "x=world\n\
         cat <<EOF\n\
         hello $x $(echo sub) `echo bq` $((1+2))\n\
         EOF\n\
         cat <<'EOF'\n\
         hello $x $(echo sub)\n\
         EOF\n\
         cat <<-EOF\n\
         \ttab stripped $x\n\
         \t\tinner\n\
         \tEOF\n\
         echo end\n",
        0,
        "hello world sub bq 3\nhello $x $(echo sub)\ntab stripped world\ninner\nend\n",
    );
}

#[test]
fn here_document_bigger_than_a_pipe() {
    // ash feeds a here-document through a pipe, from a forked writer when it is large. The
    // script (two copies of a 93 kB document) is too long for an argument: sh reads it from
    // stdin.
    let body: String = (1..=3000)
        .map(|i| format!("line {i:04} of the here-document\n"))
        .collect();
    assert!(body.len() > 65536);
    let script = format!("cat <<EOF | wc -c\n{body}EOF\ncat <<EOF | tail -n 1\n{body}EOF\n");
    let native = Run::host(busybox())
        .args(["sh"])
        .env("LC_ALL", "C")
        .stdin(script.as_bytes())
        .assert_same();
    assert_eq!(native.code(), 0, "native:\n{native}");
    assert_eq!(
        native.stdout_str(),
        format!("{}\nline 3000 of the here-document\n", body.len())
    );
    assert_eq!(native.stderr_str(), "");
}

#[test]
fn xargs() {
    sh(
        "seq 1 5 | xargs echo; seq 1 6 | xargs -n 2 echo; echo a b | xargs -I{} echo [{}]; \
         printf 'x y\\nz\\n' | xargs -n 1 echo -",
        0,
        "1 2 3 4 5\n1 2\n3 4\n5 6\n[a b]\n- x\n- y\n- z\n",
    );
}

#[test]
fn loops_over_piped_input() {
    // ash runs every part of a pipeline in a subshell, so the last loop's `s` is lost.
    sh(
        "for i in 1 2 3; do echo \"n$i\"; done | sort -r; \
         seq 1 5 | while read n; do echo $((n*n)); done; \
         seq 1 3 | { s=0; while read n; do s=$((s+n)); done; echo $s; }; \
         s=0; seq 1 3 | while read n; do s=$((s+n)); done; echo $s",
        0,
        "n3\nn2\nn1\n1\n4\n9\n16\n25\n6\n0\n",
    );
}

#[test]
fn pids() {
    sh(
        "echo $(( $$ > 0 )); [ \"$$\" != \"$PPID\" ] && echo yes || echo no; \
         a=$$; b=$(echo $$); [ \"$a\" = \"$b\" ] && echo yes || echo no; \
         (c=$$; [ \"$c\" = \"$a\" ] && echo yes || echo no); \
         f=/tmp/sentry-shell-test-$$-p; sh -c 'echo $PPID' > $f; \
         [ \"$(cat $f)\" = \"$$\" ] && echo yes || echo no; rm -f $f; \
         sleep 0.01 & [ \"$!\" != \"$$\" ] && echo yes || echo no; wait",
        0,
        "1\nyes\nyes\nyes\nyes\nyes\n",
    );
    // ash execs the last command of a command substitution or of a pipeline element in the
    // forked child itself, so the `sh` there is the script shell's child.
    sh(
        "p=$(sh -c 'echo $PPID'); [ \"$p\" = \"$$\" ] && echo yes || echo no; \
         sh -c 'echo $PPID' | { read q; [ \"$q\" = \"$$\" ] && echo yes || echo no; }",
        0,
        "yes\nyes\n",
    );
}
