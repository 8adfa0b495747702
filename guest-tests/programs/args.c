/* args: argv, envp and the auxiliary vector as Linux lays them out for a static binary. */
#include "common.h"
#include <elf.h>
#include <link.h>
#include <sys/auxv.h>

extern char **environ;
extern const ElfW(Ehdr) __ehdr_start;
extern void _start(void);

int main(int argc, char **argv, char **envp) {
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=\"%s\"\n", i, argv[i]);
    YESNO("argv[argc] is NULL", argv[argc] == NULL);
    YESNO("envp == environ", envp == environ);
    YESNO("envp follows argv", envp == argv + argc + 1);
    const char *v = getenv("GT_VAR"), *empty = getenv("GT_EMPTY"), *unset = getenv("GT_UNSET_VAR");
    printf("GT_VAR=%s\n", v ? v : "(unset)");
    printf("GT_EMPTY=[%s]\n", empty ? empty : "(unset)");
    printf("GT_UNSET_VAR=%s\n", unset ? unset : "(unset)");

    /* The auxv starts right after envp's NULL; getauxval must agree with it. */
    char **e = envp;
    while (*e) e++;
    ElfW(auxv_t) *av = (ElfW(auxv_t) *)(e + 1);
    unsigned long raw_pagesz = 0, raw_entry = 0;
    int n = 0;
    for (; av[n].a_type != AT_NULL; n++) {
        if (av[n].a_type == AT_PAGESZ) raw_pagesz = av[n].a_un.a_val;
        if (av[n].a_type == AT_ENTRY) raw_entry = av[n].a_un.a_val;
    }
    YESNO("auxv has entries", n >= 10);
    YESNO("raw AT_PAGESZ == getauxval", raw_pagesz == getauxval(AT_PAGESZ));
    YESNO("raw AT_ENTRY == getauxval", raw_entry == getauxval(AT_ENTRY));
    YESNO("argv strings above auxv", (void *)argv[0] > (void *)&av[n]);

    printf("AT_PAGESZ=%lu\n", getauxval(AT_PAGESZ));
    printf("AT_PHENT=%lu\n", getauxval(AT_PHENT));
    YESNO("AT_PHNUM == e_phnum", getauxval(AT_PHNUM) == __ehdr_start.e_phnum);
    YESNO("AT_PHDR nonzero", getauxval(AT_PHDR) != 0);
    YESNO("AT_PHDR == ehdr + e_phoff",
          getauxval(AT_PHDR) == (unsigned long)&__ehdr_start + __ehdr_start.e_phoff);
    YESNO("AT_ENTRY nonzero", getauxval(AT_ENTRY) != 0);
    YESNO("AT_ENTRY == _start", getauxval(AT_ENTRY) == (unsigned long)&_start);
    printf("AT_BASE=%lu\n", getauxval(AT_BASE));
    printf("AT_FLAGS=%lu\n", getauxval(AT_FLAGS));
    YESNO("AT_UID == getuid()", getauxval(AT_UID) == getuid());
    YESNO("AT_EUID == geteuid()", getauxval(AT_EUID) == geteuid());
    YESNO("AT_GID == getgid()", getauxval(AT_GID) == getgid());
    YESNO("AT_EGID == getegid()", getauxval(AT_EGID) == getegid());
    printf("AT_SECURE=%lu\n", getauxval(AT_SECURE));
    printf("AT_CLKTCK=%lu\n", getauxval(AT_CLKTCK));
    YESNO("AT_HWCAP nonzero", getauxval(AT_HWCAP) != 0);

    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
    YESNO("AT_RANDOM nonzero", rnd != NULL);
    int any = 0;
    for (int i = 0; rnd && i < 16; i++) any |= rnd[i];
    YESNO("AT_RANDOM bytes not all zero", any);

    const char *execfn = (const char *)getauxval(AT_EXECFN);
    YESNO("AT_EXECFN nonzero", execfn != NULL);
    YESNO("AT_EXECFN == argv[0]", execfn && strcmp(execfn, argv[0]) == 0);
    const char *platform = (const char *)getauxval(AT_PLATFORM);
    YESNO("AT_PLATFORM nonzero", platform != NULL);
    printf("AT_PLATFORM=%s\n", platform ? platform : "(null)");

    printf("sysconf(_SC_PAGESIZE)=%ld\n", sysconf(_SC_PAGESIZE));
    printf("sysconf(_SC_CLK_TCK)=%ld\n", sysconf(_SC_CLK_TCK));
    YESNO("program_invocation_name == argv[0]", strcmp(program_invocation_name, argv[0]) == 0);
    return 0;
}
