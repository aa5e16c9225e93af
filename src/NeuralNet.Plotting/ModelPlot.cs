using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using NeuralNet.Models;
using NeuralNet.Serialization;

namespace NeuralNet.Plotting;

/// <summary>
/// Keras 3's <c>keras.utils.plot_model</c>: draws a model's graph (<see cref="ModelDiagram.ToDot"/>) into an image file
/// with Graphviz' <c>dot</c> program, which, as for Keras, must be installed (Debian and Ubuntu:
/// <c>apt-get install graphviz</c>; Windows and macOS: the graphviz.org installers or Homebrew). The image format is the
/// file's extension (<c>.png</c>, <c>.svg</c>, <c>.pdf</c>, ...; none means PNG, as in Keras). A <c>.dot</c> file gets
/// the DOT text itself and needs no Graphviz (Keras has Graphviz write its laid-out DOT instead).
/// </summary>
/// <example><c>ModelPlot.Save(model, "model.png", new ModelDiagramOptions { ShowShapes = true, ShowLayerNames = false });</c></example>
public static class ModelPlot
{
    // Formats of Graphviz' standard build (dot -T?) that write one file; x11, xlib and the image-map formats do not.
    private static readonly string[] s_formats = ["png", "svg", "svgz", "pdf", "jpg", "jpeg", "jpe", "gif", "bmp", "webp", "ps", "eps", "json", "plain", "xdot", "gv", "dot"];

    /// <summary>Draws <paramref name="model"/> into <paramref name="path"/>, replacing the file only once the image is complete.</summary>
    /// <param name="model">A built model.</param>
    /// <param name="path">The image file; its extension is the format (none: PNG, the file keeping the name given, as in Keras). A <c>.dot</c> or <c>.gv</c> file gets the DOT text.</param>
    /// <param name="options">What to show; null for Keras' <c>plot_model</c> defaults. Layer names are hidden, as in
    /// <c>plot_model</c>, unless <see cref="ModelDiagramOptions.ShowLayerNames"/> is true.</param>
    /// <param name="dotProgram">Graphviz' <c>dot</c> program; null to find <c>dot</c> on the PATH.</param>
    /// <param name="cancellationToken">Stops Graphviz (killing it) and leaves the file as it was.</param>
    /// <returns>The full path of the file written.</returns>
    /// <exception cref="ArgumentException">The path is empty or a folder, its extension is not an image format Graphviz writes, or an option is out of range.</exception>
    /// <exception cref="InvalidOperationException">The model is not built, Graphviz' <c>dot</c> is not installed, or it failed (its message included).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static string Save(Model model, string path, ModelDiagramOptions? options = null, string? dotProgram = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        string format = Format(path);
        options ??= new ModelDiagramOptions();
        string text = ModelDiagram.ToDot(model, options with { ShowLayerNames = options.ShowLayerNames ?? false });
        string fullPath = Path.GetFullPath(path);
        byte[] image = format is "dot" or "gv"
            ? Encoding.UTF8.GetBytes(text)
            : Render(text, format, dotProgram ?? FindDot(), cancellationToken);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        AtomicFile.Write(fullPath, stream => stream.Write(image));
        return fullPath;
    }

    private static string Format(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new ArgumentException("The output path is empty; expected an image file path such as \"model.png\".", nameof(path));
        }

        if (path.EndsWith(Path.DirectorySeparatorChar) || path.EndsWith(Path.AltDirectorySeparatorChar) || Directory.Exists(path))
        {
            throw new ArgumentException($"The output path '{path}' names a folder; expected an image file path such as \"model.png\".", nameof(path));
        }

        string extension = Path.GetExtension(path);
        string format = extension.Length == 0 ? "png" : extension[1..].ToLowerInvariant();
        return s_formats.Contains(format, StringComparer.Ordinal) ? format
            : throw new ArgumentException($"The output path '{path}' has the extension '{extension}', which is not a format ModelPlot writes; expected one of .{string.Join(", .", s_formats)}.", nameof(path));
    }

    // Graphviz reads the DOT text on stdin and writes the image to stdout; both outputs are drained while the text is
    // written, so that no pipe fills up and stalls it. Cancelling kills it (and anything it started), which also ends
    // a write blocked on a Graphviz that stopped reading; it never outlives this call.
    private static byte[] Render(string text, string format, string dot, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var start = new ProcessStartInfo(dot, ["-T" + format])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
            StandardErrorEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw NotInstalled(dot, null);
        }
        catch (Win32Exception e)
        {
            throw NotInstalled(dot, e);
        }

        using (process)
        {
            using var output = new MemoryStream();
            Task copy = process.StandardOutput.BaseStream.CopyToAsync(output, CancellationToken.None);
            Task<string> errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
            using (cancellationToken.Register(() => Stop(process)))
            {
                try
                {
                    try
                    {
                        process.StandardInput.Write(text);
                        process.StandardInput.Close();
                    }
                    catch (IOException)
                    {
                        // Graphviz closed its input early: it failed or was stopped; its exit code and message say which.
                    }

                    process.WaitForExit();
                    Task.WaitAll(copy, errors);
                }
                catch (AggregateException e)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    throw new InvalidOperationException($"Reading Graphviz' '{dot}' output failed: {e.InnerException?.Message}", e.InnerException);
                }
                finally
                {
                    Stop(process);
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (process.ExitCode != 0 || output.Length == 0)
            {
                throw new InvalidOperationException($"Graphviz' '{dot}' failed drawing the model as {format} (exit code {process.ExitCode}): {errors.Result.Trim()}");
            }

            return output.ToArray();
        }
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // It ended meanwhile, or cannot be signalled: nothing left to stop.
        }
    }

    private static string FindDot()
    {
        string name = OperatingSystem.IsWindows() ? "dot.exe" : "dot";
        foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(folder, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw NotInstalled(name, null);
    }

    private static InvalidOperationException NotInstalled(string dot, Win32Exception? reason) => new(
        $"ModelPlot draws with Graphviz' '{dot}' program, which could not be started ({reason?.Message ?? "not found on the PATH"}): install Graphviz (Debian and Ubuntu: apt-get install graphviz; " +
        "Windows and macOS: graphviz.org or Homebrew), pass the program's path as dotProgram, or save a .dot file (ModelDiagram.ToDot) and render it elsewhere.", reason);
}
