using System.Buffers.Binary;
using Vnvdimm.Guest.Dsm;
using Vnvdimm.Testing;

namespace Vnvdimm.Cli.Tests;

/// <summary>
/// Acknowledged label writes survive the emulator being killed: vnvdimm runs as a child process,
/// the test writes labels through the DSM while another thread SIGKILLs it at a random moment, then
/// a new vnvdimm on the same file must show every write whose answer had arrived. (A SIGKILL does not
/// lose the page cache, so this holds even without a flush; DurabilityTraceTests checks the flushes.)
/// </summary>
public sealed class CrashSafetyTests
{
    private const int Record = 256, Slots = (128 << 10) / Record;

    [SkippableTheory]
    [InlineData("share=on")]
    [InlineData("share=on,pmem=on")]
    public void Every_acknowledged_label_write_survives_sigkill(string backendOptions)
    {
        Prerequisite.Require(!backendOptions.Contains("pmem") || File.Exists(Prerequisite.LibpmemPath), Prerequisite.LibpmemMissing);
        using var dir = new TempFolder();
        string[] args = ["-machine", "pc,nvdimm=on", "-m", "64M,slots=1,maxmem=1G",
            "-object", $"memory-backend-file,id=m0,mem-path={dir.File("nv.img")},size=16M,{backendOptions}",
            "-device", "nvdimm,memdev=m0,label-size=128K"];
        var acknowledged = new uint[Slots]; // last acknowledged sequence number per record slot, 0 = none
        var random = new Random(1234);
        uint sequence = 0;

        for (int round = 0; round < 5; round++)
        {
            using var machine = TestMachines.StartVnvdimm(args);
            var dsm = new DsmClient(machine, 0x100000);
            // The clock starts once the machine answers, so a slow start does not eat the window.
            Assert.Equal(0x71u, dsm.Functions(1));
            using var killer = new Timer(_ => machine.Kill(), null, random.Next(20, 300), Timeout.Infinite);
            try
            {
                while (true)
                {
                    uint seq = ++sequence;
                    int slot = (int)(seq * 7919 % Slots);
                    var reply = dsm.SetLabelData(1, (uint)(slot * Record), RecordFor(seq));
                    Assert.Equal(0u, reply.Status);
                    acknowledged[slot] = seq;
                }
            }
            catch (IOException)
            {
                // killed mid-conversation: the write in flight was not acknowledged
            }
        }

        using var survivor = TestMachines.StartVnvdimm(args);
        var check = new DsmClient(survivor, 0x100000);
        int verified = 0;
        for (int slot = 0; slot < Slots; slot++)
        {
            if (acknowledged[slot] == 0)
                continue;
            var data = check.GetLabelData(1, (uint)(slot * Record), Record);
            uint found = BinaryPrimitives.ReadUInt32LittleEndian(data.Payload);
            // The write in flight at a kill may have landed too, so a later sequence number is fine.
            Assert.True(found >= acknowledged[slot], $"slot {slot}: acknowledged write {acknowledged[slot]} lost (found {found})");
            Assert.Equal(RecordFor(found), data.Payload.ToArray());
            verified++;
        }
        Assert.True(verified > 10, $"only {verified} writes were acknowledged before the kills");
    }

    private static byte[] RecordFor(uint seq)
    {
        var record = new byte[Record];
        for (int i = 0; i < Record; i += 4)
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(i), seq + (uint)i);
        BinaryPrimitives.WriteUInt32LittleEndian(record, seq);
        return record;
    }
}
