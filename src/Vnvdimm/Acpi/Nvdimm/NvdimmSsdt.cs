using System.Runtime.InteropServices;
using Vnvdimm.Acpi.Aml;
using Vnvdimm.Dsm;
using Vnvdimm.Platform.FwCfg;
using static Vnvdimm.Acpi.Aml.Aml;

namespace Vnvdimm.Acpi.Nvdimm;

/// <summary>
/// The NVDIMM SSDT (OEM table id "NVDIMM"): <c>\_SB.NVDR</c>, the ACPI0012 root device, with the
/// common DSM method NCAL that drives the mailbox, the root _DSM, RFIT/_FIT, and one NVxx device per
/// memory slot with _ADR, _LSI, _LSR, _LSW and _DSM; then the MEMA dword the loader patches with
/// the guest address of the DSM page. The AML program is the one QEMU's guests expect; the mailbox
/// it drives is <see cref="DsmLayout"/>'s.
/// </summary>
public sealed class NvdimmSsdt(int slots) : ILinkedAcpiTable
{
    public const string OemTableId = "NVDIMM";
    public const string CommonDsm = "NCAL", DsmPageAddress = "MEMA", ReadFit = "RFIT", ReadFitStatus = "RSTA";

    // The mailbox as NCAL sees it: the doorbell port, and the page with the request's fields and, over
    // them, the answer's.
    private const string PortRegion = "NPIO", Doorbell = "NTFI", PageRegion = "NRAM";
    private const string Handle = "HDLE", Revision = "REVS", Function = "FUNC", Arg3 = "FARG";
    private const string AnswerLength = "RLEN", AnswerData = "ODAT";

    private const int BitsPerByte = 8;

    // AML objects are immutable: the UUID buffers are built once and shared by every slot.
    private static readonly AmlBuffer RootUuid = AmlBuffer.Uuid(DsmUuid.Root);
    private static readonly AmlBuffer ReservedRootUuid = AmlBuffer.Uuid(DsmUuid.ReservedRoot);
    private static readonly AmlBuffer DeviceUuid = AmlBuffer.Uuid(DsmUuid.Device);

    public string Signature => "SSDT";

    public byte[] ToBytes() => Table().ToAml();

    /// <summary>The table, with the place of the MEMA dword for the loader's ADD_POINTER to the DSM page.</summary>
    public LinkedTableBytes ToLinkedBytes()
    {
        var table = Table();
        // MEMA's dword ends the table.
        var dsmPageAddress = new TablePointer(table.EncodedLength - sizeof(uint), FwCfgFileNames.NvdimmDsmPage, sizeof(uint));
        return new LinkedTableBytes(ImmutableCollectionsMarshal.AsImmutableArray(table.ToAml()), [dsmPageAddress]);
    }

    private AmlDefinitionBlock Table()
    {
        var root = new AmlDevice("NVDR",
        [
            new AmlNamedValue("_HID", new AmlString("ACPI0012")),
            CommonDsmMethod(),
            Dsm.For(Int(DsmLayout.RootHandle)),
            new AmlNamedValue(ReadFitStatus, Int(DsmStatus.Success)),
            ReadFitMethod(),
            FitMethod(),
            .. Enumerable.Range(0, slots).Select(SlotDevice),
        ]);
        // Name(MEMA, 0x00000000): a DWord whatever its value, for the loader to fill in.
        return new AmlDefinitionBlock(Signature, 1, OemTableId,
            new AmlScope("\\_SB", root),
            new AmlNamedValue(DsmPageAddress, new AmlDWord(0)));
    }

    /// <summary>NCAL(uuid, revision, function, arg3 package, handle): the mailbox call every _DSM goes through.</summary>
    private static AmlMethod CommonDsmMethod()
    {
        IAml uuid = Arg(0), function = Arg(2), handle = Arg(4), page = Local(6), output = Local(7), expectedUuid = Local(0);
        const AmlAccessType dword = AmlAccessType.DWord;
        const AmlLockRule noLock = AmlLockRule.NoLock;
        const AmlUpdateRule preserve = AmlUpdateRule.Preserve;
        return new AmlMethod(CommonDsm, 5, serialized: true,
            Store(Path(DsmPageAddress), page),
            new AmlOperationRegion(PortRegion, AmlRegionSpace.SystemIo, Int(DsmLayout.IoPort), DsmLayout.IoPortLength),
            new AmlOperationRegion(PageRegion, AmlRegionSpace.SystemMemory, page, DsmLayout.PageSize),
            new AmlField(PortRegion, dword, noLock, preserve, new AmlFieldUnit(Doorbell, DsmLayout.IoPortLength * BitsPerByte)),
            new AmlField(PageRegion, dword, noLock, preserve,
                new AmlFieldUnit(Handle, (DsmLayout.RevisionOffset - DsmLayout.HandleOffset) * BitsPerByte),
                new AmlFieldUnit(Revision, (DsmLayout.FunctionOffset - DsmLayout.RevisionOffset) * BitsPerByte),
                new AmlFieldUnit(Function, (DsmLayout.Arg3Offset - DsmLayout.FunctionOffset) * BitsPerByte),
                new AmlFieldUnit(Arg3, (DsmLayout.PageSize - DsmLayout.Arg3Offset) * BitsPerByte)),
            new AmlField(PageRegion, dword, noLock, preserve,
                new AmlFieldUnit(AnswerLength, DsmLayout.OutLengthSize * BitsPerByte),
                new AmlFieldUnit(AnswerData, (DsmLayout.PageSize - DsmLayout.OutLengthSize) * BitsPerByte)),
            new AmlIf(LEqual(handle, Int(DsmLayout.RootHandle)), Store(RootUuid, expectedUuid)),
            new AmlElse(
                new AmlIf(LEqual(handle, Int(DsmLayout.ReservedRootHandle)), Store(ReservedRootUuid, expectedUuid)),
                new AmlElse(Store(DeviceUuid, expectedUuid))),
            // No DSM page patched in, or a foreign UUID: the query gets an empty bitmap, other functions "not supported".
            new AmlIf(LOr(LEqual(page, Int(0)), LNot(LEqual(uuid, expectedUuid))),
                new AmlIf(LEqual(function, Int(DsmFunction.Query)), new AmlReturn(new AmlBuffer([0]))),
                new AmlReturn(new AmlBuffer([(byte)DsmStatus.NotSupported]))),
            Store(handle, Path(Handle)),
            Store(Arg(1), Path(Revision)),
            Store(function, Path(Function)),
            // arg3 is a package holding one buffer: copy that buffer into the page.
            new AmlIf(LAnd(LEqual(ObjectType(Arg(3)), Int(AmlObjectType.Package)), LEqual(SizeOf(Arg(3)), Int(1))),
                Store(Index(Arg(3), Int(0)), Local(2)),
                Store(DerefOf(Local(2)), Local(3)),
                Store(Local(3), Path(Arg3))),
            Store(page, Path(Doorbell)),
            // The answer's length counts its own field.
            Subtract(Path(AnswerLength), Int(DsmLayout.OutLengthSize), Local(1)),
            // Short answers are copied byte by byte, as CreateField wants at least 8 bytes.
            new AmlIf(LLess(Local(1), Int(8)),
                Store(Int(0), Local(2)),
                new AmlNamedValue("TBUF", AmlBuffer.Zeroed(1)),
                Store(AmlBuffer.Zeroed(0), output),
                new AmlWhile(LLess(Local(2), Local(1)),
                    Store(DerefOf(Index(Path(AnswerData), Local(2))), Index(Path("TBUF"), Int(0))),
                    Concatenate(output, Path("TBUF"), output),
                    Increment(Local(2))),
                new AmlReturn(output)),
            Store(ShiftLeft(Local(1), Int(3)), Local(1)),
            CreateField(Path(AnswerData), Int(0), Local(1), "OBUF"),
            new AmlReturn(Path("OBUF")));
    }

    /// <summary>RFIT(offset): one chunk of the FIT through the reserved handle; its status is left in RSTA.</summary>
    private static AmlMethod ReadFitMethod()
    {
        IAml buffer = Local(0), size = Local(1);
        var call = new AmlMethodCall(CommonDsm, ReservedRootUuid, Int(DsmLayout.Revision), Int(DsmFunction.ReadFit),
            new AmlPackage(Path("OFST")), Int(DsmLayout.ReservedRootHandle));
        return new AmlMethod(ReadFit, 1, serialized: true,
            new AmlNamedValue("OFST", Int(0)),
            Store(Arg(0), Path("OFST")),
            Store(call, buffer),
            CreateDWordField(buffer, Int(0), "STAU"),
            Store(Path("STAU"), Path(ReadFitStatus)),
            new AmlIf(LNot(LEqual(Int(DsmStatus.Success), Path("STAU"))), new AmlReturn(AmlBuffer.Zeroed(0))),
            Store(SizeOf(buffer), size),
            Subtract(size, Int(DsmLayout.StatusSize), size),
            new AmlIf(LEqual(size, Int(0)), new AmlReturn(AmlBuffer.Zeroed(0))),
            CreateField(buffer, Int(DsmLayout.StatusSize * BitsPerByte), ShiftLeft(size, Int(3)), "BUFF"),
            new AmlReturn(Path("BUFF")));
    }

    /// <summary>_FIT: the whole FIT, assembled from RFIT chunks.</summary>
    private static AmlMethod FitMethod()
    {
        IAml buffer = Local(0), size = Local(1), fit = Local(2), offset = Local(3);
        return new AmlMethod("_FIT", 0, serialized: true,
            Store(AmlBuffer.Zeroed(0), fit),
            Store(Int(0), offset),
            new AmlWhile(Int(1),
                Store(new AmlMethodCall(ReadFit, offset), buffer),
                Store(SizeOf(buffer), size),
                // The FIT changed while it was read: start again.
                new AmlIf(LEqual(Path(ReadFitStatus), Int(DsmStatus.FitChanged)),
                    Store(AmlBuffer.Zeroed(0), fit),
                    Store(Int(0), offset)),
                new AmlElse(
                    new AmlIf(LEqual(size, Int(0)), new AmlReturn(fit)),
                    Add(offset, size, offset),
                    Concatenate(fit, buffer, fit))));
    }

    /// <summary>
    /// A method of the root and slot devices that is the same in all of them but for the handle it passes
    /// to NCAL: the bytes on either side of the handle are encoded once, as up to 256 slot devices make
    /// most of the table.
    /// </summary>
    private sealed class HandleMethod(string name, int argumentCount, bool serialized, AmlRaw beforeHandle, AmlRaw afterHandle)
    {
        private readonly AmlPath _name = new(name);

        public AmlMethod For(IAml handle) => new(_name, argumentCount, serialized, beforeHandle, handle, afterHandle);
    }

    // Method (_DSM, 4, NotSerialized) { Return (NCAL (Arg0, Arg1, Arg2, Arg3, handle)) }
    private static readonly HandleMethod Dsm = new("_DSM", 4, serialized: false,
        AmlRaw.Encode(new AmlRaw(AmlOpcode.Return), Path(CommonDsm), Arg(0), Arg(1), Arg(2), Arg(3)),
        AmlRaw.Encode());

    // Method (name, args, Serialized) { before; Store (NCAL (device UUID, 1, function, arg3, handle), result); after }
    private static HandleMethod LabelMethod(string name, int args, IAml[] before, uint function, IAml arg3, IAml result,
        IAml[] after) =>
        new(name, args, serialized: true,
            AmlRaw.Encode([.. before, new AmlRaw(AmlOpcode.Store),
                Path(CommonDsm), DeviceUuid, Int(DsmLayout.Revision), Int(function), arg3]),
            AmlRaw.Encode([result, .. after]));

    private static readonly HandleMethod LabelSize = LabelMethod("_LSI", 0, [], DsmFunction.GetLabelSize, Int(0), Local(0),
    [
        CreateDWordField(Local(0), Int(0), "STTS"),
        CreateDWordField(Local(0), Int(4), "SLSA"),
        CreateDWordField(Local(0), Int(8), "MAXT"),
        Store(new AmlPackage(Path("STTS"), Path("SLSA"), Path("MAXT")), Local(1)),
        new AmlReturn(Local(1)),
    ]);

    private static readonly HandleMethod ReadLabels = LabelMethod("_LSR", 2,
    [
        new AmlNamedValue("INPT", AmlBuffer.Zeroed(8)),
        CreateDWordField(Path("INPT"), Int(0), "OFST"),
        CreateDWordField(Path("INPT"), Int(4), "LEN"),
        Store(Arg(0), Path("OFST")),
        Store(Arg(1), Path("LEN")),
        Store(new AmlPackage(Path("INPT")), Local(0)),
    ], DsmFunction.GetLabelData, Local(0), Local(3),
    [
        CreateDWordField(Local(3), Int(0), "STTS"),
        CreateField(Local(3), Int(DsmLayout.StatusSize * BitsPerByte), ShiftLeft(Path("LEN"), Int(3)), "LDAT"),
        new AmlNamedValue("LSA", AmlBuffer.Zeroed(0)),
        ToBuffer(Path("LDAT"), Path("LSA")),
        Store(new AmlPackage(Path("STTS"), Path("LSA")), Local(1)),
        new AmlReturn(Local(1)),
    ]);

    private static readonly HandleMethod WriteLabels = LabelMethod("_LSW", 3,
    [
        Store(Arg(2), Local(2)),
        new AmlNamedValue("INPT", AmlBuffer.Zeroed(8)),
        CreateDWordField(Path("INPT"), Int(0), "OFST"),
        CreateDWordField(Path("INPT"), Int(4), "TLEN"),
        Store(Arg(0), Path("OFST")),
        Store(Arg(1), Path("TLEN")),
        Concatenate(Path("INPT"), Local(2), Path("INPT")),
        Store(new AmlPackage(Path("INPT")), Local(0)),
    ], DsmFunction.SetLabelData, Local(0), Local(3),
    [
        CreateDWordField(Local(3), Int(0), "STTS"),
        new AmlReturn(Path("STTS")),
    ]);

    private static readonly AmlPath Address = new("_ADR");

    /// <summary>
    /// NVxx for a slot: _ADR is the NFIT handle; the label methods of ACPI 6.4 6.5.10 call DSM functions
    /// 4-6 through NCAL with the slot's handle.
    /// </summary>
    private static AmlDevice SlotDevice(int slot)
    {
        var handle = Int((uint)slot + 1);
        return new AmlDevice($"NV{slot:X2}",
            new AmlNamedValue(Address, handle),
            LabelSize.For(handle),
            ReadLabels.For(handle),
            WriteLabels.For(handle),
            Dsm.For(handle));
    }
}
