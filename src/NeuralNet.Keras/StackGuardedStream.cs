using System.Runtime.CompilerServices;

namespace NeuralNet.Keras;

/// <summary>
/// The read-only stream PureHDF reads an HDF5 file through, which refuses a read when the thread's stack is nearly
/// used up. PureHDF follows soft links without a depth limit, so a file whose link leads back to itself (damaged, or
/// made so) recursed until the stack overflowed, which ends the process and cannot be caught. PureHDF reads the file at
/// every step of that recursion; the refusal unwinds it, and PureHDF reports the link as unresolved
/// (<see cref="PureHDF.IH5UnresolvedLink"/>), which <see cref="H5WeightsReader"/> turns into an
/// <see cref="InvalidDataException"/> naming the path.
/// </summary>
internal sealed class StackGuardedStream(Stream inner, bool leaveOpen) : Stream
{
    /// <summary>What a refused read says, as the unresolved link's reason.</summary>
    public const string TooDeep = "the file's links lead too deep (a soft link that leads back into itself)";

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => inner.CanSeek;

    public override bool CanWrite => false;

    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set => inner.Position = value;
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        CheckStack();
        return inner.Read(buffer, offset, count);
    }

    public override int Read(Span<byte> buffer)
    {
        CheckStack();
        return inner.Read(buffer);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        CheckStack();
        return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !leaveOpen)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private static void CheckStack()
    {
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw new InvalidDataException(TooDeep);
        }
    }
}
