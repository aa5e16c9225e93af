namespace NeuralNet.Data;

/// <summary>
/// Passes reads through to a caller's <see cref="TextReader"/> but never disposes it: the CSV parser disposes the
/// reader it is given, and a reader the caller passed in stays the caller's to close.
/// </summary>
internal sealed class NonClosingTextReader(TextReader inner) : TextReader
{
    public override int Peek() => inner.Peek();

    public override int Read() => inner.Read();

    public override int Read(char[] buffer, int index, int count) => inner.Read(buffer, index, count);

    public override int Read(Span<char> buffer) => inner.Read(buffer);

    public override int ReadBlock(Span<char> buffer) => inner.ReadBlock(buffer);

    public override string? ReadLine() => inner.ReadLine();

    public override string ReadToEnd() => inner.ReadToEnd();
}
