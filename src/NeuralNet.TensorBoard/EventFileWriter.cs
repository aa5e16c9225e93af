using System.Globalization;
using Google.Protobuf;
using NeuralNet.Training.EventFiles.Protobuf;

namespace NeuralNet.Training.EventFiles;

/// <summary>
/// One TensorBoard event file in a directory, named as TensorFlow names them
/// (<c>events.out.tfevents.&lt;seconds&gt;.&lt;host&gt;.&lt;pid&gt;.&lt;n&gt;.v2</c>), starting with the
/// <c>brain.Event:2</c> version record. A new file never replaces an existing one: the number n goes up until the name
/// is free. Scalars are written through one reused event and buffer, so writing one allocates nothing.
/// </summary>
internal sealed class EventFileWriter : IDisposable
{
    private readonly FileStream _stream;
    private readonly Event _scalar;
    private readonly Summary.Types.Value _scalarValue = new();
    private byte[] _buffer = new byte[256];

    public EventFileWriter(string directory)
    {
        Directory.CreateDirectory(directory);
        string stem = string.Create(CultureInfo.InvariantCulture,
            $"events.out.tfevents.{DateTimeOffset.UtcNow.ToUnixTimeSeconds():D10}.{SafeHostName()}.{Environment.ProcessId}");
        for (int n = 0; ; n++)
        {
            string path = System.IO.Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"{stem}.{n}.v2"));
            try
            {
                _stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
                Path = path;
                break;
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another writer (this run's other directory's, or another callback's) took the name this second.
            }
        }

        _scalar = new Event { Summary = new Summary() };
        _scalar.Summary.Value.Add(_scalarValue);
        try
        {
            Write(new Event { WallTime = Now(), FileVersion = "brain.Event:2" });
        }
        catch
        {
            _stream.Dispose();
            throw;
        }
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>Writes a scalar under <paramref name="tag"/> at <paramref name="step"/> (TensorBoard's Scalars tab).</summary>
    public void Scalar(string tag, long step, double value)
    {
        _scalarValue.Tag = tag;
        _scalarValue.SimpleValue = (float)value;
        _scalar.WallTime = Now();
        _scalar.Step = step;
        Write(_scalar);
    }

    /// <summary>Writes a histogram of <paramref name="values"/> under <paramref name="tag"/> (TensorBoard's Histograms and Distributions tabs).</summary>
    public void Histogram(string tag, long step, ReadOnlySpan<float> values)
    {
        var summary = new Summary();
        summary.Value.Add(new Summary.Types.Value { Tag = tag, Histo = HistogramSummary.Create(values) });
        Write(new Event { WallTime = Now(), Step = step, Summary = summary });
    }

    /// <summary>Pushes what was written to the file, so that TensorBoard sees it while training goes on.</summary>
    public void Flush() => _stream.Flush();

    /// <inheritdoc/>
    public void Dispose() => _stream.Dispose();

    private void Write(Event e)
    {
        int size = e.CalculateSize();
        if (_buffer.Length < size)
        {
            _buffer = new byte[Math.Max(size, 2 * _buffer.Length)];
        }

        e.WriteTo(_buffer.AsSpan(0, size));
        RecordFile.Write(_stream, _buffer.AsSpan(0, size));
    }

    private static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    // TensorFlow puts the host name into the file name; keep it to characters every file system takes.
    private static string SafeHostName()
    {
        string host = Environment.MachineName;
        return host.Length == 0 ? "localhost" : string.Concat(host.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
    }
}
