using NeuralNet.Serialization;

namespace NeuralNet.Initializers;

/// <summary>
/// Keras' initializer <c>Identity</c> (also exported as <c>IdentityInitializer</c> and <c>identity</c>): <see cref="Gain"/>
/// times the identity matrix, ones on the main diagonal and zeros elsewhere, for 2-D weights only; a (rows, columns) matrix
/// that is not square gets the diagonal of its leading square, as Keras' <c>eye(rows, columns)</c>. Named
/// <c>IdentityInitializer</c> here so that it does not clash with the <see cref="Layers.Identity"/> layer; it is saved
/// under Keras' class name <c>Identity</c>.
/// </summary>
public sealed class IdentityInitializer : Initializer
{
    /// <summary>Creates the initializer.</summary>
    /// <param name="gain">The multiplier of the identity matrix, finite (Keras default 1).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="gain"/> is not finite.</exception>
    public IdentityInitializer(double gain = 1.0)
    {
        if (!double.IsFinite(gain))
        {
            throw new ArgumentOutOfRangeException(nameof(gain), gain, $"IdentityInitializer expects a finite gain but got gain={gain}.");
        }

        Gain = gain;
    }

    /// <summary>The multiplier of the identity matrix.</summary>
    public double Gain { get; }

    /// <inheritdoc/>
    public override string Name => "identity";

    /// <inheritdoc/>
    /// <exception cref="ArgumentException"><paramref name="shape"/> is not 2-D (Keras' identity initializer fills only matrices).</exception>
    public override void ValidateShape(TensorShape shape)
    {
        if (shape.Rank != 2)
        {
            throw new ArgumentException(
                System.FormattableString.Invariant($"IdentityInitializer (Keras' 'Identity') fills only 2-D matrices, but the weight has shape {shape} of rank {shape.Rank}."), nameof(shape));
        }
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException"><paramref name="shape"/> is not 2-D (Keras' identity initializer fills only matrices).</exception>
    public override void Initialize(Span<float> values, TensorShape shape, long seed)
    {
        ValidateShape(shape);
        values.Clear();
        int columns = shape[1];
        float gain = (float)Gain;
        for (int i = 0, diagonal = Math.Min(shape[0], columns); i < diagonal; i++)
        {
            values[(i * columns) + i] = gain;
        }
    }

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("gain", Gain);
}
