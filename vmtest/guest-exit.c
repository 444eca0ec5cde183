/*
 * vmtest/guest-exit.c — power the test VM off with an exit status.
 *
 * QEMU's isa-debug-exit device (iobase 0xf4) terminates QEMU with status
 * (v << 1) | 1 when the guest writes byte v to the port.  Debian kernels are
 * built without CONFIG_DEVPORT, so /dev/port cannot be used; this program
 * does ioperm() + outb itself.  It is freestanding (no libc, static) so the
 * initramfs needs nothing extra for it, and it runs only inside the VM.
 *
 * Usage: guest-exit V   (V = 0..255; QEMU then exits with 2*V+1)
 * Returns 1 if the port write did not stop the machine (no device).
 * Safety: it touches the port only when run as PID 1 or by PID 1 (the guest
 * init), so running it by mistake on a host does nothing.
 */

#define SYS_getpid  39
#define SYS_exit    60
#define SYS_getppid 110
#define SYS_ioperm  173

static long sys3(long n, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(n), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return r;
}

/* The kernel enters with argc at (%rsp); pass the stack pointer to cmain. */
__asm__(".text\n.globl _start\n_start:\n"
	"  mov %rsp, %rdi\n"
	"  and $-16, %rsp\n"
	"  call cmain\n"
	"  hlt\n");

__attribute__((used, noreturn)) void cmain(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	unsigned v = 0;

	if (argc > 1)
		for (const char *p = argv[1]; *p >= '0' && *p <= '9'; p++)
			v = v * 10 + (unsigned)(*p - '0');
	if (v > 255)
		v = 255;
	if (sys3(SYS_getpid, 0, 0, 0) != 1 && sys3(SYS_getppid, 0, 0, 0) != 1)
		sys3(SYS_exit, 2, 0, 0);
	if (sys3(SYS_ioperm, 0xf4, 1, 1) == 0)
		__asm__ volatile("outb %b0, %w1" : : "a"(v), "Nd"(0xf4));
	/* still alive: no isa-debug-exit device, or ioperm refused */
	sys3(SYS_exit, 1, 0, 0);
	for (;;)
		;
}
