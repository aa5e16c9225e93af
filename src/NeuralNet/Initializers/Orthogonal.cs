using NeuralNet.Serialization;

namespace NeuralNet.Initializers;

/// <summary>
/// Keras' <c>Orthogonal</c> initializer: a random orthogonal matrix (the Q of the QR decomposition of a standard normal
/// matrix, signs fixed so that R's diagonal is positive) times <see cref="Gain"/>. A shape (..., n) is treated as a
/// (product of the leading dimensions, n) matrix; with more rows than columns the columns are orthonormal, otherwise the rows.
/// The default recurrent-kernel initializer of the recurrent layers.
/// </summary>
public sealed class Orthogonal : Initializer
{
    /// <summary>Creates the initializer.</summary>
    /// <param name="gain">The multiplier of the orthogonal matrix.</param>
    /// <param name="seed">A fixed seed; null to draw from the layer's seed.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="gain"/> is not finite.</exception>
    public Orthogonal(double gain = 1.0, long? seed = null)
    {
        if (!double.IsFinite(gain))
        {
            throw new ArgumentOutOfRangeException(nameof(gain), gain, $"Orthogonal expects a finite gain but got gain={gain}.");
        }

        Gain = gain;
        Seed = seed;
    }

    /// <summary>The multiplier of the orthogonal matrix.</summary>
    public double Gain { get; }

    /// <summary>The fixed seed, or null.</summary>
    public long? Seed { get; }

    /// <inheritdoc/>
    public override string Name => "orthogonal";

    /// <inheritdoc/>
    public override void Initialize(Span<float> values, TensorShape shape, long seed)
    {
        int columns = shape.Rank == 0 ? 1 : shape[-1];
        int rows = columns == 0 ? 0 : values.Length / columns;
        int tall = Math.Max(rows, columns), narrow = Math.Min(rows, columns);
        if (narrow == 0)
        {
            return;
        }

        // A (tall, narrow) normal matrix, orthonormalised column by column (modified Gram-Schmidt, in double): the Q of its
        // QR decomposition with R's diagonal positive, which is what Keras' sign correction makes of any QR.
        var normal = new float[tall * narrow];
        RandomFill.Normal(normal, Seed ?? seed, 0, 1);
        var q = new double[tall * narrow];
        for (int i = 0; i < q.Length; i++)
        {
            q[i] = normal[i];
        }

        for (int c = 0; c < narrow; c++)
        {
            for (int p = 0; p < c; p++)
            {
                double dot = 0;
                for (int r = 0; r < tall; r++)
                {
                    dot += q[(r * narrow) + p] * q[(r * narrow) + c];
                }

                for (int r = 0; r < tall; r++)
                {
                    q[(r * narrow) + c] -= dot * q[(r * narrow) + p];
                }
            }

            double norm = 0;
            for (int r = 0; r < tall; r++)
            {
                norm += q[(r * narrow) + c] * q[(r * narrow) + c];
            }

            norm = Math.Sqrt(norm);
            for (int r = 0; r < tall; r++)
            {
                q[(r * narrow) + c] /= norm;
            }
        }

        // Q is (tall, narrow); the weights are (rows, columns): Q itself when rows >= columns, its transpose otherwise.
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                double v = rows >= columns ? q[(r * narrow) + c] : q[(c * narrow) + r];
                values[(r * columns) + c] = (float)(Gain * v);
            }
        }
    }

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("gain", Gain).Set("seed", Seed);
}
