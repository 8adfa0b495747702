/* socket_timeouts: read and write(2) on a socket honour SO_RCVTIMEO / SO_SNDTIMEO
 * (EAGAIN when they run out), and a signal ends such a wait with EINTR even with
 * SA_RESTART, as signal(7) says. */
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
static void h(int s){}
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec/1e9;}
int main(void){
  int s[2]; socketpair(AF_UNIX,SOCK_STREAM,0,s);
  struct timeval tv={0,200000}; setsockopt(s[0],SOL_SOCKET,SO_RCVTIMEO,&tv,sizeof tv);
  char b[8]; double t=now(); errno=0; long r=read(s[0],b,8); double el=now()-t;
  printf("read with SO_RCVTIMEO 200ms: %ld %s, waited %s\n",r,r<0?strerror(errno):"", el>0.15&&el<2?"about 200ms":"wrong");
  struct sigaction sa={0}; sa.sa_handler=h; sa.sa_flags=SA_RESTART; sigaction(SIGALRM,&sa,0);
  tv.tv_sec=5; tv.tv_usec=0; setsockopt(s[0],SOL_SOCKET,SO_RCVTIMEO,&tv,sizeof tv);
  ualarm(100000,0); errno=0; r=read(s[0],b,8); printf("read interrupted (SA_RESTART, timeout set): %ld %s\n",r,r<0?strerror(errno):"");
  /* fill the send buffer, then a write with SO_SNDTIMEO times out */
  int one=1; tv.tv_sec=0; tv.tv_usec=100000; setsockopt(s[1],SOL_SOCKET,SO_SNDTIMEO,&tv,sizeof tv);
  static char big[1<<16]; long total=0; for(;;){ errno=0; r=write(s[1],big,sizeof big); if(r<=0) break; total+=r; if(r<(long)sizeof big) {errno=0; r=write(s[1],big,sizeof big); break;} }
  printf("write with SO_SNDTIMEO on a full socket: %ld %s\n",r,r<0?strerror(errno):"");
  (void)one; return 0;
}
