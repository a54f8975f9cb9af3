/* What QEMU's configure would have written for an x86_64 Linux host, as far as libqtest reads it. */
#define CONFIG_LINUX 1
#define CONFIG_POSIX 1
#define CONFIG_IOVEC 1
#define CONFIG_BSWAP_H 1
#define HOST_X86_64 1
#define QEMU_VERSION "7.2.0"
#define QEMU_VERSION_MAJOR 7
#define QEMU_VERSION_MINOR 2
#define QEMU_VERSION_MICRO 0
#define CONFIG_KVM_TARGETS ""
#define CONFIG_PREFIX "/usr"
#define CONFIG_BINDIR "bin"
