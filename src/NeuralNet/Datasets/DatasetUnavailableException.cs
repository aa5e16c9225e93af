namespace NeuralNet.Datasets;

/// <summary>
/// No source could deliver a dataset's files. The message lists every place that was tried and why it
/// failed, and how to put the files in place by hand.
/// </summary>
public sealed class DatasetUnavailableException : IOException
{
    /// <summary>Creates an exception with a default message.</summary>
    public DatasetUnavailableException()
        : this("The dataset is not available.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What failed.</param>
    public DatasetUnavailableException(string message)
        : this(message, null)
    {
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The underlying failures (an <see cref="AggregateException"/> when there are several).</param>
    public DatasetUnavailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Attempts = [];
        MissingFiles = [];
        CacheDirectory = string.Empty;
    }

    /// <summary>Creates an exception from the list of attempts.</summary>
    /// <param name="message">The full message.</param>
    /// <param name="cacheDirectory">The cache folder the files were meant for.</param>
    /// <param name="missingFiles">The files no source delivered.</param>
    /// <param name="attempts">One line per attempt: the source, the file and why it failed.</param>
    /// <param name="innerException">The underlying failures.</param>
    public DatasetUnavailableException(string message, string cacheDirectory, IReadOnlyList<string> missingFiles, IReadOnlyList<string> attempts, Exception? innerException)
        : base(message, innerException)
    {
        ArgumentNullException.ThrowIfNull(cacheDirectory);
        ArgumentNullException.ThrowIfNull(missingFiles);
        ArgumentNullException.ThrowIfNull(attempts);
        CacheDirectory = cacheDirectory;
        MissingFiles = missingFiles;
        Attempts = attempts;
    }

    /// <summary>The cache folder the files were meant for.</summary>
    public string CacheDirectory { get; }

    /// <summary>The files no source delivered.</summary>
    public IReadOnlyList<string> MissingFiles { get; }

    /// <summary>One line per attempt: where, which file, and why it failed.</summary>
    public IReadOnlyList<string> Attempts { get; }
}
