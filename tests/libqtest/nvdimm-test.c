/*
 * An NVDIMM test written as QEMU's own tests/qtest programs are: against libqtest, started by
 * QTEST_QEMU_BINARY. It runs unchanged against vnvdimm and against QEMU 7.2, and writes what it
 * observed (the NFIT, DSM answers, the hotplugged device) to the file named by NVDIMM_FACTS so
 * that the two runs can be compared byte for byte.
 */
#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "libqtest.h"
#include "qapi/qmp/qdict.h"
#include "qapi/qmp/qlist.h"

#define FW_CFG_SELECTOR 0x510
#define FW_CFG_DATA 0x511
#define FW_CFG_DMA_HIGH 0x514
#define FW_CFG_DMA_LOW 0x518
#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_FILE_DIR 0x19
#define FW_CFG_DMA_ERROR 0x01
#define FW_CFG_DMA_READ 0x02
#define FW_CFG_DMA_SELECT 0x08

#define DMA_DESCRIPTOR 0x200000
#define DMA_BUFFER 0x300000
#define DSM_PAGE 0x100000
#define DSM_PORT 0x0a18
#define PIIX4_GPE0_STATUS 0xafe0
#define PIIX4_GPE0_ENABLE 0xafe2
#define ACPI_SCI_IRQ 9
#define NVDIMM_HOTPLUG_GPE_BIT 0x10

#define MACHINE "-machine pc,nvdimm=on -m 64M,slots=4,maxmem=1G "

static FILE *facts;
static char *folder;

static void fact(const char *name, const void *data, size_t length)
{
    fprintf(facts, "%s ", name);
    for (size_t i = 0; i < length; i++)
        fprintf(facts, "%02x", ((const uint8_t *)data)[i]);
    fputc('\n', facts);
    fflush(facts);
}

static void fact_u64(const char *name, uint64_t value)
{
    fprintf(facts, "%s 0x%" PRIx64 "\n", name, value);
    fflush(facts);
}

static QTestState *start(void)
{
    return qtest_initf(MACHINE
                       "-object memory-backend-file,id=m0,share=on,mem-path=%s/nv0.img,size=64M "
                       "-device nvdimm,id=nv0,memdev=m0,label-size=128K",
                       folder);
}

/* Reads length bytes of fw_cfg item select (or, for select < 0, from where the last read ended) by DMA. */
static void fw_cfg_read(QTestState *s, int select, void *buffer, uint32_t length)
{
    uint32_t control = FW_CFG_DMA_READ | (select >= 0 ? FW_CFG_DMA_SELECT | ((uint32_t)select << 16) : 0);
    struct { uint32_t control, length; uint64_t address; } QEMU_PACKED access = {
        cpu_to_be32(control), cpu_to_be32(length), cpu_to_be64(DMA_BUFFER),
    };
    qtest_memwrite(s, DMA_DESCRIPTOR, &access, sizeof(access));
    /* The DMA address register is big-endian, as a guest writes it with outl(cpu_to_be32(...)). */
    qtest_outl(s, FW_CFG_DMA_HIGH, bswap32((uint32_t)((uint64_t)DMA_DESCRIPTOR >> 32)));
    qtest_outl(s, FW_CFG_DMA_LOW, bswap32((uint32_t)DMA_DESCRIPTOR));
    qtest_memread(s, DMA_DESCRIPTOR, &access, sizeof(access.control));
    g_assert_cmphex(be32_to_cpu(access.control) & FW_CFG_DMA_ERROR, ==, 0);
    qtest_memread(s, DMA_BUFFER, buffer, length);
}

static uint8_t *fw_cfg_file(QTestState *s, const char *name, uint32_t *size)
{
    uint32_t count;
    fw_cfg_read(s, FW_CFG_FILE_DIR, &count, sizeof(count));
    count = be32_to_cpu(count);
    for (uint32_t i = 0; i < count; i++) {
        struct { uint32_t size; uint16_t select, reserved; char name[56]; } QEMU_PACKED entry;
        fw_cfg_read(s, -1, &entry, sizeof(entry));
        if (!strcmp(entry.name, name)) {
            *size = be32_to_cpu(entry.size);
            uint8_t *data = g_malloc(*size);
            fw_cfg_read(s, be16_to_cpu(entry.select), data, *size);
            return data;
        }
    }
    g_assert_not_reached();
}

static void test_probe(void)
{
    /* libqtest starts -machine none and asks query-machines and qom-list-types. */
    g_assert_true(qtest_has_machine("pc"));
    g_assert_true(qtest_has_machine("pc-q35-7.2"));
    g_assert_true(qtest_has_device("nvdimm"));
    g_assert_false(qtest_has_device("no-such-device"));
}

static void test_nfit(void)
{
    QTestState *s = start();
    char signature[4];
    qtest_outw(s, FW_CFG_SELECTOR, FW_CFG_SIGNATURE);
    for (int i = 0; i < 4; i++)
        signature[i] = qtest_inb(s, FW_CFG_DATA);
    g_assert_cmpmem(signature, 4, "QEMU", 4);

    uint32_t size;
    uint8_t *tables = fw_cfg_file(s, "etc/acpi/tables", &size);
    uint8_t *nfit = NULL;
    for (uint32_t at = 0; at + 36 <= size && !nfit; at++)
        if (!memcmp(tables + at, "NFIT", 4))
            nfit = tables + at;
    g_assert_nonnull(nfit);
    /* As fw_cfg serves it: the firmware's table loader fills in the checksum later. */
    uint32_t length = ldl_le_p(nfit + 4);
    g_assert_cmpuint(nfit - tables + length, <=, size);
    /* The first structure after the 40-byte header is the SPA range of the one NVDIMM. */
    g_assert_cmpuint(lduw_le_p(nfit + 40), ==, 0);
    g_assert_cmphex(ldq_le_p(nfit + 40 + 32), ==, 0x100000000ULL);
    g_assert_cmphex(ldq_le_p(nfit + 40 + 40), ==, (64ULL << 20) - (128 << 10));
    fact("nfit", nfit, length);
    g_free(tables);
    qtest_quit(s);
}

/* One DSM call through the mailbox page: handle, revision 1, function, arguments; returns the output length. */
static uint32_t dsm(QTestState *s, uint32_t handle, uint32_t function, const void *arg3, size_t arg3_length, uint8_t *out)
{
    uint8_t page[4096] = { 0 };
    stl_le_p(page, handle);
    stl_le_p(page + 4, 1);
    stl_le_p(page + 8, function);
    memcpy(page + 12, arg3, arg3_length);
    qtest_memwrite(s, DSM_PAGE, page, sizeof(page));
    qtest_outl(s, DSM_PORT, DSM_PAGE);
    qtest_memread(s, DSM_PAGE, out, 4096);
    return ldl_le_p(out);
}

static void test_dsm_labels(void)
{
    QTestState *s = start();
    uint8_t out[4096];
    const uint32_t nvdimm = 1; /* slot 0's handle */

    uint32_t length = dsm(s, nvdimm, 0, NULL, 0, out);
    fact("dsm-query", out, length);
    length = dsm(s, nvdimm, 4, NULL, 0, out);
    g_assert_cmpuint(length, ==, 16);
    g_assert_cmpuint(ldl_le_p(out + 4), ==, 0);
    g_assert_cmpuint(ldl_le_p(out + 8), ==, 128 << 10);
    fact("dsm-label-size", out, length);

    uint8_t write[8 + 256];
    stl_le_p(write, 4096 - 100); /* straddles two pages of the label area */
    stl_le_p(write + 4, 256);
    for (int i = 0; i < 256; i++)
        write[8 + i] = (uint8_t)(i * 7 + 3);
    length = dsm(s, nvdimm, 6, write, sizeof(write), out);
    g_assert_cmpuint(ldl_le_p(out + 4), ==, 0);
    fact("dsm-set-label", out, length);

    length = dsm(s, nvdimm, 5, write, 8, out);
    g_assert_cmpuint(length, ==, 8 + 256);
    g_assert_cmpuint(ldl_le_p(out + 4), ==, 0);
    g_assert_cmpmem(out + 8, 256, write + 8, 256);
    fact("dsm-get-label", out, length);

    length = dsm(s, 99, 4, NULL, 0, out); /* no such NVDIMM */
    fact("dsm-no-device", out, length);
    qtest_quit(s);
}

static void test_hotplug(void)
{
    QTestState *s = start();
    QDict *answer = qtest_qmp(s, "{'execute': 'object-add', 'arguments': {'qom-type': 'memory-backend-file', "
                                 "'id': 'm1', 'share': true, 'mem-path': %s, 'size': 33554432}}",
                              g_strdup_printf("%s/nv1.img", folder));
    g_assert_true(qdict_haskey(answer, "return"));
    qobject_unref(answer);

    g_assert_cmphex(qtest_inb(s, PIIX4_GPE0_STATUS) & NVDIMM_HOTPLUG_GPE_BIT, ==, 0);
    /* As a guest that enabled the NVDIMM hotplug GPE: the plug must raise the SCI. */
    qtest_irq_intercept_in(s, "ioapic");
    qtest_outb(s, PIIX4_GPE0_ENABLE, NVDIMM_HOTPLUG_GPE_BIT);
    g_assert_false(qtest_get_irq(s, ACPI_SCI_IRQ));
    answer = qtest_qmp(s, "{'execute': 'device_add', 'arguments': {'driver': 'nvdimm', 'id': 'nv1', 'memdev': 'm1'}}");
    g_assert_true(qdict_haskey(answer, "return"));
    qobject_unref(answer);
    g_assert_true(qtest_get_irq(s, ACPI_SCI_IRQ));
    fact_u64("sci-after-plug", qtest_get_irq(s, ACPI_SCI_IRQ));
    uint8_t gpe = qtest_inb(s, PIIX4_GPE0_STATUS);
    g_assert_cmphex(gpe & NVDIMM_HOTPLUG_GPE_BIT, ==, NVDIMM_HOTPLUG_GPE_BIT);
    fact_u64("gpe0-status", gpe);

    answer = qtest_qmp(s, "{'execute': 'query-memory-devices'}");
    QList *devices = qdict_get_qlist(answer, "return");
    g_assert_cmpuint(qlist_size(devices), ==, 2);
    for (QListEntry *e = qlist_first(devices); e; e = qlist_next(e)) {
        QDict *data = qdict_get_qdict(qobject_to(QDict, qlist_entry_obj(e)), "data");
        if (!strcmp(qdict_get_str(data, "id"), "nv1")) {
            fact_u64("hotplugged-addr", qdict_get_int(data, "addr"));
            fact_u64("hotplugged-slot", qdict_get_int(data, "slot"));
            fact_u64("hotplugged-size", qdict_get_int(data, "size"));
        }
    }
    qobject_unref(answer);

    /* The guest acknowledges by writing the bit back: it clears. */
    qtest_outb(s, PIIX4_GPE0_STATUS, NVDIMM_HOTPLUG_GPE_BIT);
    g_assert_cmphex(qtest_inb(s, PIIX4_GPE0_STATUS) & NVDIMM_HOTPLUG_GPE_BIT, ==, 0);
    g_assert_false(qtest_get_irq(s, ACPI_SCI_IRQ));
    qtest_quit(s); /* SIGTERM: libqtest insists on exit status 0 */
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    const char *path = getenv("NVDIMM_FACTS");
    facts = path ? fopen(path, "w") : stdout;
    g_assert_nonnull(facts);
    folder = g_dir_make_tmp("nvdimm-libqtest-XXXXXX", NULL);
    g_assert_nonnull(folder);

    qtest_add_func("/nvdimm/probe", test_probe);
    qtest_add_func("/nvdimm/nfit", test_nfit);
    qtest_add_func("/nvdimm/dsm-labels", test_dsm_labels);
    qtest_add_func("/nvdimm/hotplug", test_hotplug);
    int status = g_test_run();

    for (const char *const *name = (const char *const[]){ "nv0.img", "nv1.img", NULL }; *name; name++) {
        g_autofree char *path = g_build_filename(folder, *name, NULL);
        unlink(path);
    }
    g_assert_cmpint(rmdir(folder), ==, 0);
    return status;
}
