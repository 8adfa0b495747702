/* stream_offsets: pread/pwrite on streams (pipes, sockets, eventfd, epoll) give ESPIPE;
 * lseek gives ESPIPE on pipes and sockets but succeeds (and does nothing) on the
 * anonymous inodes, as Linux. */
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
int main(void){
  char b[16]; int e=eventfd(3,0); int p[2]; pipe(p); int s[2]; socketpair(AF_UNIX,SOCK_STREAM,0,s); int ep=epoll_create1(0);
  int fds[]={e,p[0],s[0],ep,0}; const char*n[]={"eventfd","pipe","socket","epoll","stdin"};
  for(int i=0;i<5;i++){ errno=0; long r=pread(fds[i],b,8,0); printf("pread %s: %ld %s\n",n[i],r,r<0?strerror(errno):""); errno=0; r=lseek(fds[i],0,SEEK_CUR); printf("lseek %s: %ld %s\n",n[i],r,r<0?strerror(errno):"");}
  errno=0; long r=pwrite(e,"\1\0\0\0\0\0\0\0",8,0); printf("pwrite eventfd: %ld %s\n",r,r<0?strerror(errno):"");
  errno=0; r=pwrite(p[1],"x",1,0); printf("pwrite pipe: %ld %s\n",r,r<0?strerror(errno):"");
  errno=0; r=read(ep,b,8); printf("read epoll: %ld %s\n",r,r<0?strerror(errno):"");
}
