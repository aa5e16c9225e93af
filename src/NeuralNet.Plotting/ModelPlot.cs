using System.Diagnostics;
using NeuralNet.Models;
using NeuralNet.Serialization;

namespace NeuralNet.Plotting;

/// <summary>
/// Keras 3's <c>keras.utils.plot_model</c>: draws a model's graph (<see cref="ModelDiagram.ToDot"/>) into an image file
/// with Graphviz' <c>dot</c> program, which, as for Keras, must be installed (Debian and Ubuntu:
/// <c>apt-get install graphviz</c>; Windows and macOS: the graphviz.org installers or Homebrew). The image format is the
/// file's extension (<c>.png</c>, <c>.svg</c>, <c>.pdf</c>, ...; none means PNG, as in Keras). A <c>.dot</c> file gets
/// the DOT text itself and needs no Graphviz.
/// </summary>
/// <example><c>ModelPlot.Save(model, "model.png", new ModelDiagramOptions { ShowShapes = true, ShowLayerNames = false });</c></example>
public static class ModelPlot
{
    // Formats of Graphviz' standard build (dot -T?) that write one file; x11, xlib and the image-map formats do not.
    private static readonly string[] s_formats = ["png", "svg", "svgz", "pdf", "jpg", "jpeg", "jpe", "gif", "bmp", "webp", "ps", "eps", "json", "plain", "xdot", "gv", "dot"];

    /// <summary>Draws <paramref name="model"/> into <paramref name="path"/>, replacing the file only once the image is complete.</summary>
    /// <param name="model">A built model.</param>
    /// <param name="path">The image file; its extension is the format (none: PNG, the file keeping the name given, as in Keras). A <c>.dot</c> or <c>.gv</c> file gets the DOT text.</param>
    /// <param name="options">What to show; null for Keras' <c>plot_model</c> defaults (<see cref="ModelDiagramOptions.PlotDefaults"/>: no layer names).</param>
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
        string text = ModelDiagram.ToDot(model, options ?? ModelDiagramOptions.PlotDefaults);
        string fullPath = Path.GetFullPath(path);
        byte[] image = format is "dot" or "gv"
            ? System.Text.Encoding.UTF8.GetBytes(text)
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

    // Graphviz reads the DOT text on stdin and writes the image to stdout; both are drained at once so that neither
    // pipe fills up and stalls it.
    private static byte[] Render(string text, string format, string dot, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var start = new ProcessStartInfo(dot, ["-T" + format])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw NotInstalled(dot);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw NotInstalled(dot);
        }

        using (process)
        {
            using var output = new MemoryStream();
            Task copy = process.StandardOutput.BaseStream.CopyToAsync(output, CancellationToken.None);
            Task<string> errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
            try
            {
                process.StandardInput.Write(text);
                process.StandardInput.Close();
                process.WaitForExitAsync(cancellationToken).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                throw;
            }
            catch (IOException) when (process.WaitForExit(10_000))
            {
                // dot closed its input early (it failed); its exit code and message say why, below.
            }

            Task.WaitAll(copy, errors);
            if (process.ExitCode != 0 || output.Length == 0)
            {
                throw new InvalidOperationException($"Graphviz' '{dot}' failed drawing the model as {format} (exit code {process.ExitCode}): {errors.Result.Trim()}");
            }

            return output.ToArray();
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

        throw NotInstalled(name);
    }

    private static InvalidOperationException NotInstalled(string dot) => new(
        $"ModelPlot draws with Graphviz' '{dot}' program, which was not found: install Graphviz (Debian and Ubuntu: apt-get install graphviz; " +
        "Windows and macOS: graphviz.org or Homebrew), pass the program's path as dotProgram, or save a .dot file (ModelDiagram.ToDot) and render it elsewhere.");
}
