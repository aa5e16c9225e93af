using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace NeuralNet.Training;

/// <summary>
/// Keras 3's progress display: <c>Epoch 1/5</c> then
/// <c>1407/1407 ━━━━━━━━━━━━━━━━━━━━ 4s 3ms/step - accuracy: 0.8665 - loss: 0.4636 - val_accuracy: 0.9139 - val_loss: 0.3058</c>.
/// </summary>
/// <remarks>
/// Verbose 1 on an interactive terminal redraws one line in place (carriage return), at most every 50 ms, with the
/// bar coloured as Keras does; when the output is redirected (or not the console) it writes only the final line of
/// each epoch. Verbose 2 writes one line per epoch in Keras' compact form
/// (<c>1407/1407 - 4s - 3ms/step - accuracy: ...</c>). Verbose 0 writes nothing. Redraws reuse one buffer.
/// Given the model's warnings (<see cref="Models.Model.Warnings"/>), verbose 1 and 2 write each one once, on a line of
/// its own before a run starts or after its final line (a warning a pass found shows after the epoch that found it).
/// </remarks>
internal sealed class ProgressBar
{
    private const int BarWidth = 20;
    private const char BarChar = '\u2501';
    private static readonly long s_redrawInterval = Stopwatch.Frequency / 20;

    private readonly TextWriter _writer;
    private readonly int _verbose;
    private readonly bool _interactive;
    private readonly StringBuilder _line = new(256);
    private int _target;
    private int _current;
    private long _start;
    private long _afterFirstStep;
    private long _lastDraw;
    private int _previousWidth;

    public ProgressBar(TextWriter writer, int verbose, bool interactive)
    {
        _writer = writer;
        _verbose = verbose;
        _interactive = interactive;
    }

    /// <summary>The model's warnings, written once each between runs; null for none.</summary>
    public Models.ModelWarningLog? Warnings { get; init; }

    /// <summary>Whether the writer is the console and the console is a terminal (not redirected).</summary>
    public static bool IsInteractive(TextWriter writer) =>
        ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected;

    /// <summary>Writes <c>Epoch n/N</c> (verbose 1 and 2) and starts timing.</summary>
    public void BeginEpoch(int epoch, int epochs, int steps)
    {
        if (_verbose > 0)
        {
            Warnings?.WriteNew(_writer);
            _writer.Write(string.Create(CultureInfo.InvariantCulture, $"Epoch {epoch + 1}/{epochs}\n"));
        }

        Begin(steps);
    }

    /// <summary>Starts timing a run of <paramref name="steps"/> steps (evaluation, prediction); 0 when the count is not known
    /// yet (a stream), shown as Keras does (<c>12/Unknown</c>) until the run ends.</summary>
    public void Begin(int steps)
    {
        if (_verbose > 0)
        {
            Warnings?.WriteNew(_writer);
        }

        _target = steps;
        _current = 0;
        _start = Stopwatch.GetTimestamp();
        _afterFirstStep = 0;
        _lastDraw = 0;
        _previousWidth = 0;
    }

    /// <summary>Records that step <paramref name="current"/> (1-based) finished; redraws when interactive and due.</summary>
    public void Update(int current, IReadOnlyDictionary<string, double> logs)
    {
        long now = Stopwatch.GetTimestamp();
        _current = current;
        if (current == 1)
        {
            _afterFirstStep = now;
        }

        if (_verbose != 1 || !_interactive || now - _lastDraw < s_redrawInterval)
        {
            return;
        }

        _lastDraw = now;
        _line.Clear();
        _line.Append('\r');
        int start = _line.Length;
        double perStep = StepSeconds(current, now);
        if (_target == 0)
        {
            _line.Append(current).Append("/Unknown ");
            AppendSeconds(_line, Seconds(now - _start));
            AppendStepTime(_line, perStep);
            AppendLogs(_line, logs);
            Pad(_line.Length - start);
        }
        else
        {
            AppendCounter(_line, current, _target);
            _line.Append(' ');
            AppendBar(_line, current, _target, color: true);
            _line.Append(' ');
            AppendDuration(_line, perStep * (_target - current));
            AppendStepTime(_line, perStep);
            AppendLogs(_line, logs);
            Pad(_line.Length - start - ColorCodesLength(current, _target));
        }

        _writer.Write(_line);
        _writer.Flush();
    }

    /// <summary>Writes the final line of the run with the full logs (training and validation).</summary>
    public void End(IReadOnlyDictionary<string, double> logs)
    {
        if (_verbose == 0)
        {
            return;
        }

        if (_target == 0)
        {
            // A stream's length is known once it has run.
            _target = _current;
        }

        long now = Stopwatch.GetTimestamp();
        double elapsed = Seconds(now - _start);
        double perStep = StepSeconds(_target, now);
        _line.Clear();
        if (_verbose == 1 && _interactive)
        {
            _line.Append('\r');
            int start = _line.Length;
            AppendCounter(_line, _target, _target);
            _line.Append(' ');
            AppendBar(_line, _target, _target, color: true);
            _line.Append(' ');
            AppendSeconds(_line, elapsed);
            AppendStepTime(_line, perStep);
            AppendLogs(_line, logs);
            Pad(_line.Length - start - ColorCodesLength(_target, _target));
        }
        else
        {
            _line.Append(FormatLine(_verbose, _target, elapsed, perStep, logs));
        }

        _line.Append('\n');
        _writer.Write(_line);
        Warnings?.WriteNew(_writer);
        _writer.Flush();
    }

    /// <summary>
    /// The final line of a run without colours: verbose 1 <c>1407/1407 ━━━━ 4s 3ms/step - loss: 0.4636</c>,
    /// verbose 2 <c>1407/1407 - 4s - 3ms/step - loss: 0.4636</c>.
    /// </summary>
    internal static string FormatLine(int verbose, int steps, double elapsedSeconds, double secondsPerStep, IReadOnlyDictionary<string, double> logs)
    {
        var sb = new StringBuilder();
        AppendCounter(sb, steps, steps);
        if (verbose == 2)
        {
            sb.Append(" - ");
            AppendSeconds(sb, elapsedSeconds);
            sb.Append(" -");
        }
        else
        {
            sb.Append(' ');
            AppendBar(sb, steps, steps, color: false);
            sb.Append(' ');
            AppendSeconds(sb, elapsedSeconds);
        }

        AppendStepTime(sb, secondsPerStep);
        AppendLogs(sb, logs);
        return sb.ToString();
    }

    /// <summary>A logged value as Keras prints it: 4 decimals, or scientific notation at or below 1e-3 in magnitude.</summary>
    internal static void AppendValue(StringBuilder sb, double value)
    {
        if (Math.Abs(value) > 1e-3 || double.IsNaN(value) || double.IsInfinity(value))
        {
            if (double.IsNaN(value))
            {
                sb.Append("nan");
            }
            else if (double.IsInfinity(value))
            {
                sb.Append(value > 0 ? "inf" : "-inf");
            }
            else
            {
                sb.Append(CultureInfo.InvariantCulture, $"{value:F4}");
            }
        }
        else
        {
            sb.Append(CultureInfo.InvariantCulture, $"{value:0.0000e+00}");
        }
    }

    private static void AppendCounter(StringBuilder sb, int current, int target)
    {
        int digits = target.ToString(CultureInfo.InvariantCulture).Length;
        int currentDigits = current.ToString(CultureInfo.InvariantCulture).Length;
        sb.Append(' ', Math.Max(0, digits - currentDigits));
        sb.Append(current).Append('/').Append(target);
    }

    private static void AppendBar(StringBuilder sb, int current, int target, bool color)
    {
        int filled = target > 0 ? (int)(BarWidth * ((double)current / target)) : BarWidth;
        filled = Math.Clamp(filled, 0, BarWidth);
        if (!color)
        {
            sb.Append(BarChar, BarWidth);
            return;
        }

        if (filled > 0)
        {
            sb.Append("\u001b[32m").Append(BarChar, filled).Append("\u001b[0m");
        }

        sb.Append("\u001b[37m").Append(BarChar, BarWidth - filled).Append("\u001b[0m");
    }

    private static int ColorCodesLength(int current, int target)
    {
        int filled = target > 0 ? Math.Clamp((int)(BarWidth * ((double)current / target)), 0, BarWidth) : BarWidth;
        return (filled > 0 ? 9 : 0) + 9;
    }

    private static void AppendSeconds(StringBuilder sb, double seconds) =>
        sb.Append(CultureInfo.InvariantCulture, $"{seconds:F0}s");

    private static void AppendDuration(StringBuilder sb, double seconds)
    {
        if (seconds > 3600)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{(int)(seconds / 3600)}:{(int)(seconds % 3600 / 60):D2}:{(int)(seconds % 60):D2}");
        }
        else if (seconds > 60)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{(int)(seconds / 60)}:{(int)(seconds % 60):D2}");
        }
        else
        {
            sb.Append(CultureInfo.InvariantCulture, $"{(int)seconds}s");
        }
    }

    private static void AppendStepTime(StringBuilder sb, double perStep)
    {
        if (perStep >= 1 || perStep == 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $" {perStep:F0}s/step");
        }
        else if (perStep >= 1e-3)
        {
            sb.Append(CultureInfo.InvariantCulture, $" {perStep * 1e3:F0}ms/step");
        }
        else
        {
            sb.Append(CultureInfo.InvariantCulture, $" {perStep * 1e6:F0}us/step");
        }
    }

    private static void AppendLogs(StringBuilder sb, IReadOnlyDictionary<string, double> logs)
    {
        foreach (KeyValuePair<string, double> entry in logs)
        {
            sb.Append(" - ").Append(entry.Key).Append(": ");
            AppendValue(sb, entry.Value);
        }
    }

    private static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;

    private double StepSeconds(int current, long now)
    {
        if (current <= 0)
        {
            return 0;
        }

        return _afterFirstStep != 0 && current > 1
            ? Seconds(now - _afterFirstStep) / (current - 1)
            : Seconds(now - _start) / current;
    }

    private void Pad(int visibleWidth)
    {
        if (_previousWidth > visibleWidth)
        {
            _line.Append(' ', _previousWidth - visibleWidth);
        }

        _previousWidth = visibleWidth;
    }
}
