namespace NeuralNet;

/// <summary>
/// A stream of random numbers that moves on with every draw (Keras 3's <c>keras.random.SeedGenerator</c>, PyTorch's
/// <c>torch.Generator</c>): a training loop that needs fresh noise every step, a GAN's latent vectors say, draws them
/// from one generator made from a seed, so that each step differs and the whole run is the same on every rerun.
/// </summary>
/// <remarks>
/// <see cref="Tensor.RandomNormal(TensorShape, long, float, float)"/> with a fixed seed returns the same values on every
/// call; pass a generator instead (<see cref="Tensor.RandomNormal(TensorShape, SeedGenerator, float, float)"/>), or fill an
/// existing tensor without allocating (<see cref="FillNormal"/>). A generator is not thread-safe: give each thread its own.
/// </remarks>
/// <example><c>var noise = new SeedGenerator(42); var z = new Tensor(64, 100); for (...) { noise.FillNormal(z); ... }</c></example>
public sealed class SeedGenerator
{
    private readonly SeededRandom _random;

    /// <summary>Starts a stream from <paramref name="seed"/>: the same seed gives the same sequence of draws.</summary>
    public SeedGenerator(long seed)
    {
        Seed = seed;
        _random = new SeededRandom(seed);
    }

    /// <summary>The seed the stream started from.</summary>
    public long Seed { get; }

    /// <summary>Overwrites <paramref name="destination"/> with samples from a normal distribution, the next ones of the stream.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="standardDeviation"/> is negative or not finite.</exception>
    public void FillNormal(Tensor destination, float mean = 0f, float standardDeviation = 1f)
    {
        ArgumentNullException.ThrowIfNull(destination);
        RandomDraws.CheckStandardDeviation(standardDeviation);
        RandomDraws.Normal(_random, destination.AsSpan(), mean, standardDeviation);
    }

    /// <summary>Overwrites <paramref name="destination"/> with samples uniform in [<paramref name="minimum"/>, <paramref name="maximum"/>), the next ones of the stream.</summary>
    /// <exception cref="ArgumentException"><paramref name="maximum"/> is below <paramref name="minimum"/>, or the range is not a finite float.</exception>
    public void FillUniform(Tensor destination, float minimum = 0f, float maximum = 1f)
    {
        ArgumentNullException.ThrowIfNull(destination);
        float largest = RandomDraws.CheckUniformRange(minimum, maximum);
        RandomDraws.Uniform(_random, destination.AsSpan(), minimum, maximum - minimum, largest);
    }
}
