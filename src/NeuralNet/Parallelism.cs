namespace NeuralNet;

/// <summary>
/// Library-wide settings for multi-threaded kernels (matrix products, convolutions).
/// </summary>
/// <remarks>
/// Kernels split their work into independent blocks of the output, never the reduction dimension,
/// so results are identical bit for bit whatever the degree of parallelism.
/// </remarks>
public static class Parallelism
{
    private static int s_maxDegreeOfParallelism = Environment.ProcessorCount;

    /// <summary>
    /// Gets or sets the largest number of threads a single kernel call may use. Defaults to
    /// <see cref="Environment.ProcessorCount"/>; 1 keeps every kernel on the calling thread.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public static int MaxDegreeOfParallelism
    {
        get => Volatile.Read(ref s_maxDegreeOfParallelism);
        set
        {
            if (value < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, $"MaxDegreeOfParallelism must be at least 1 but got {value}.");
            }

            Volatile.Write(ref s_maxDegreeOfParallelism, value);
        }
    }
}
