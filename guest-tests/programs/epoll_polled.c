/* epoll_polled: an epoll instance is itself pollable: poll, select and a nested
 * epoll_wait on its descriptor wake when a file it watches becomes ready (a child
 * writes to a pipe after a delay). */
#include "common.h"
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/wait.h>

static void write_later(int fd) {
    if (fork() == 0) {
        usleep(100 * 1000);
        write(fd, "x", 1);
        _exit(0);
    }
}

int main(void) {
    int p[2];
    if (pipe(p) != 0)
        return 1;
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7};
    SHOW("epoll_ctl ADD pipe", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));

    write_later(p[1]);
    struct pollfd pfd = {.fd = ep, .events = POLLIN};
    SHOW("poll on the epoll fd (a child writes later)", poll(&pfd, 1, 5000));
    printf("revents 0x%x\n", pfd.revents);
    wait(NULL);
    char c;
    SHOW("drain", read(p[0], &c, 1));

    write_later(p[1]);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(ep, &r);
    struct timeval tv = {5, 0};
    SHOW("select on the epoll fd", select(ep + 1, &r, NULL, NULL, &tv));
    YESNO("epoll fd readable", FD_ISSET(ep, &r));
    wait(NULL);
    SHOW("drain", read(p[0], &c, 1));

    int outer = epoll_create1(0);
    struct epoll_event oev = {.events = EPOLLIN, .data.u32 = 9};
    SHOW("nest", epoll_ctl(outer, EPOLL_CTL_ADD, ep, &oev));
    write_later(p[1]);
    struct epoll_event got;
    SHOW("epoll_wait on the outer instance", epoll_wait(outer, &got, 1, 5000));
    printf("data %u\n", got.data.u32);
    wait(NULL);
    puts("done");
    return 0;
}
