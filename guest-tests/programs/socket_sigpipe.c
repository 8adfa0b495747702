/* socket_sigpipe: EPIPE raises SIGPIPE for stream sockets only (not datagram or
 * seqpacket ones, whatever the call), and never with MSG_NOSIGNAL. */
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <sys/socket.h>
static volatile int got;
static void h(int s){got++;}
int main(void){
  signal(SIGPIPE,h);
  int types[]={SOCK_STREAM,SOCK_DGRAM,SOCK_SEQPACKET}; const char*n[]={"stream","dgram","seqpacket"};
  for(int i=0;i<3;i++){
    int s[2]; socketpair(AF_UNIX,types[i],0,s); close(s[1]); got=0;
    errno=0; long r=write(s[0],"x",1); printf("%s write after peer close: %ld %s sigpipe %d\n",n[i],r,r<0?strerror(errno):"",got);
    got=0; errno=0; r=send(s[0],"x",1,MSG_NOSIGNAL); printf("%s send NOSIGNAL: %ld %s sigpipe %d\n",n[i],r,r<0?strerror(errno):"",got);
    got=0; errno=0; r=sendto(s[0],"x",1,0,NULL,0); printf("%s sendto: %ld %s sigpipe %d\n",n[i],r,r<0?strerror(errno):"",got);
    int t[2]; socketpair(AF_UNIX,types[i],0,t); shutdown(t[0],SHUT_WR); got=0; errno=0; r=write(t[0],"x",1); printf("%s write after SHUT_WR: %ld %s sigpipe %d\n",n[i],r,r<0?strerror(errno):"",got);
  }
}
