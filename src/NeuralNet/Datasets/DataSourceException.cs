namespace NeuralNet.Datasets;

/// <summary>
/// A data source failed or gave a batch that does not fit: a batch that could not be produced (the source's exception is
/// the <see cref="Exception.InnerException"/>), a batch whose shapes differ from the first batch's or from the model's,
/// or a source with no batches. The model keeps the weights of the last completed step.
/// </summary>
public sealed class DataSourceException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DataSourceException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public DataSourceException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public DataSourceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal DataSourceException(string message, int epoch, int batchIndex, Exception? innerException = null)
        : base(message, innerException)
    {
        Epoch = epoch;
        BatchIndex = batchIndex;
    }

    /// <summary>The epoch (0-based) during which the batch was requested; 0 for Evaluate and Predict.</summary>
    public int Epoch { get; }

    /// <summary>The position (0-based) of the batch within its epoch or pass; -1 when the failure is not about one batch.</summary>
    public int BatchIndex { get; } = -1;
}
