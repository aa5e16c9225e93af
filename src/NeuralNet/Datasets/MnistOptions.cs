namespace NeuralNet.Datasets;

/// <summary>How <see cref="Mnist.Load"/> finds, shapes and scales MNIST. The defaults give (N, 784) images in [0, 1].</summary>
public sealed class MnistOptions
{
    /// <summary>
    /// <see langword="true"/> (default): images are (N, 784), for dense networks. <see langword="false"/>: images
    /// are (N, 28, 28, 1), channels last, for convolutional networks. Either way a view of the same storage.
    /// </summary>
    public bool Flatten { get; init; } = true;

    /// <summary><see langword="true"/> (default): pixels are divided by 255 into [0, 1]. <see langword="false"/>: raw values 0..255 as floats.</summary>
    public bool ScaleToUnitRange { get; init; } = true;

    /// <summary>Load only the first this many training images (1..60,000); all when <see langword="null"/>. E1.1 uses 1,000.</summary>
    public int? TrainCount { get; init; }

    /// <summary>Load only the first this many test images (1..10,000); all when <see langword="null"/>.</summary>
    public int? TestCount { get; init; }

    /// <summary>The cache folder; <see cref="Mnist.DefaultCacheDirectory"/> when <see langword="null"/>.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>
    /// Where to fetch missing files from, tried in order; <see cref="Mnist.DefaultSources"/> when <see langword="null"/>.
    /// An empty list means "use only the cache".
    /// </summary>
    public IReadOnlyList<IMnistSource>? Sources { get; init; }

    /// <summary>Receives one line per step of the acquisition (cached, fetching, failed, verified); optional.</summary>
    public IProgress<string>? Progress { get; init; }
}
