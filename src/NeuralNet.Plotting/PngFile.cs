using NeuralNet.Serialization;

namespace NeuralNet.Plotting;

/// <summary>Validates output paths and writes PNG bytes atomically (through the core's <see cref="AtomicFile"/>).</summary>
internal static class PngFile
{
    /// <summary>Checks that <paramref name="path"/> is a usable .png file path.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty, names a folder (ends with a separator or is an existing folder), or does not end with ".png".</exception>
    public static void ValidatePath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new ArgumentException("The output path is empty; expected a file path ending with \".png\".", nameof(path));
        }

        // An existing folder called "x.png" too: found here, before drawing, rather than by the write after it.
        if (path.EndsWith(Path.DirectorySeparatorChar) || path.EndsWith(Path.AltDirectorySeparatorChar) || Directory.Exists(path))
        {
            throw new ArgumentException($"The output path '{path}' names a folder; expected a file path ending with \".png\".", nameof(path));
        }

        if (!string.Equals(Path.GetExtension(path), ".png", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"The output path '{path}' must end with \".png\" (the file is written as PNG).", nameof(path));
        }
    }

    /// <summary>
    /// Writes <paramref name="png"/> to <paramref name="path"/>, creating the folder if needed, through the core's
    /// <see cref="AtomicFile"/>: readers never see a half-written file and a killed write leaves nothing behind.
    /// </summary>
    public static void WriteAtomically(string path, byte[] png)
    {
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException($"The output path '{path}' has no folder.", nameof(path));
        Directory.CreateDirectory(directory);
        AtomicFile.Write(fullPath, stream => stream.Write(png));
    }
}
