//! The toolchain inside the sandbox: gcc (which forks cc1, as and ld, talking through
//! pipes and temporary files) and make (several rules, parallel jobs), natively vs
//! under the sentry. Both runs start from an empty directory under /tmp (in the
//! sandbox /tmp is its own tmpfs; natively each run gets a unique name).

use guest_tests::Run;

fn sh(script: &str) -> guest_tests::Output {
    Run::host("/bin/sh")
        .args(["-c", script])
        .env("LC_ALL", "C")
        .assert_same()
}

#[test]
fn gcc_compiles_links_and_runs_a_program() {
    let out = sh(r#"
        d=/tmp/sentry-gcc-test-$$; rm -rf "$d"; mkdir -p "$d" && cd "$d" || exit 1
        cat > t.c <<'SRC'
#include <stdio.h>
int main(int c, char **v) { printf("hello %s\n", v[1]); return 7; }
SRC
        gcc -O1 t.c -o t && ./t sandbox; echo "status $?"
        printf 'int main(void){ return missing(); }\n' > bad.c
        gcc bad.c -o bad 2>/dev/null; echo "link failure status $?"
        cd / && rm -rf "$d"
    "#);
    assert_eq!(
        out.stdout_str(),
        "hello sandbox\nstatus 7\nlink failure status 1\n"
    );
}

#[test]
fn make_builds_with_several_rules_and_jobs() {
    let out = sh(r#"
        d=/tmp/sentry-make-test-$$; rm -rf "$d"; mkdir -p "$d" && cd "$d" || exit 1
        printf 'int f(void);\nint g(void);\nint main(void){ return f() + g(); }\n' > main.c
        printf 'int f(void){ return 40; }\n' > f.c
        printf 'int g(void){ return 2; }\n' > g.c
        printf 'prog: main.o f.o g.o\n\tcc -o $@ $^\n%%.o: %%.c\n\tcc -c $<\nclean:\n\trm -f prog *.o\n' > Makefile
        make -s -j2 && ./prog; echo "prog status $?"
        make -s; echo "up to date: $?"
        touch f.c && make 2>&1 | sort
        make -s clean && ls
        cd / && rm -rf "$d"
    "#);
    assert_eq!(
        out.stdout_str(),
        "prog status 42\nup to date: 0\ncc -c f.c\ncc -o prog main.o f.o g.o\nMakefile\nf.c\ng.c\nmain.c\n"
    );
}
