/* first_session: the program sentry runs is, as when run natively by a shell or a test
 * harness, not a process group or session leader: setsid() makes it one. */
#include "common.h"

int main(void) {
    YESNO("not a group leader at start", getpgrp() != getpid());
    YESNO("not a session leader at start", getsid(0) != getpid());
    SHOW_OK("setsid", setsid());
    YESNO("group leader after setsid", getpgrp() == getpid());
    YESNO("session leader after setsid", getsid(0) == getpid());
    SHOW("setsid again", setsid());
    return 0;
}
