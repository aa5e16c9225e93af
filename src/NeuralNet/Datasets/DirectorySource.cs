using System.IO.Compression;

namespace NeuralNet.Datasets;

/// <summary>
/// Serves MNIST files from a local folder, raw (<c>train-images-idx3-ubyte</c>) or gzip-compressed
/// (<c>train-images-idx3-ubyte.gz</c>), for example files placed there by hand or a shared network folder.
/// </summary>
public sealed class DirectorySource : IMnistSource
{
    private readonly string _directory;

    /// <summary>Creates a source reading from <paramref name="directory"/>.</summary>
    /// <param name="directory">The folder holding the files.</param>
    public DirectorySource(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _directory = Path.GetFullPath(directory);
    }

    /// <inheritdoc/>
    public string Description => $"folder {_directory}";

    /// <inheritdoc/>
    /// <exception cref="FileNotFoundException">Neither the raw nor the <c>.gz</c> file exists.</exception>
    public async Task CopyToAsync(string fileName, Stream destination, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        ArgumentNullException.ThrowIfNull(destination);
        string raw = Path.Combine(_directory, fileName);
        string gz = raw + ".gz";
        if (File.Exists(raw))
        {
            using FileStream file = OpenRead(raw);
            await file.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
        }
        else if (File.Exists(gz))
        {
            using FileStream file = OpenRead(gz);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            await gzip.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            throw new FileNotFoundException($"Neither {raw} nor {gz} exists.", raw);
        }
    }

    private static FileStream OpenRead(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
}
