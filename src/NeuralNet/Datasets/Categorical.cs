using System.Globalization;

namespace NeuralNet.Datasets;

/// <summary>Class indices to one-hot rows (Keras' <c>keras.utils.to_categorical</c>).</summary>
public static class Categorical
{
    /// <summary>
    /// Turns class indices into one-hot vectors, as Keras' <c>to_categorical</c>: labels of shape (..., 1) or (...) give
    /// (..., numClasses) (a trailing axis of 1 is dropped first, unless it is the only axis), with 1 at each label's class
    /// and 0 elsewhere.
    /// </summary>
    /// <param name="labels">Class indices held in floats: whole numbers from 0.</param>
    /// <param name="numClasses">The number of classes; null for the largest label plus one, as Keras does.</param>
    /// <returns>A new tensor (..., numClasses).</returns>
    /// <exception cref="ArgumentException">A label is negative, not a whole number or not below <paramref name="numClasses"/>
    /// (Keras' numpy would index from the end, truncate or fail there); the message names the first such label and its
    /// position. Or there are no labels and no <paramref name="numClasses"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numClasses"/> is below 1.</exception>
    public static Tensor ToCategorical(Tensor labels, int? numClasses = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (numClasses is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "numClasses must be at least 1 (or null for the largest label plus one).");
        }

        ReadOnlySpan<float> values = labels.AsReadOnlySpan();
        int largest = -1;
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (!(v >= 0f && v == MathF.Floor(v) && v < (numClasses ?? int.MaxValue)))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"to_categorical expects class indices from 0{(numClasses is int n ? $" to {n - 1}" : "")}, whole numbers, but label {i} (flat index in {labels.Shape}) is {v}."), nameof(labels));
            }

            largest = Math.Max(largest, (int)v);
        }

        int classes = numClasses ?? (largest >= 0
            ? largest + 1
            : throw new ArgumentException($"to_categorical cannot infer the number of classes from no labels ({labels.Shape}); give numClasses.", nameof(labels)));

        ReadOnlySpan<int> dims = labels.Shape.Dimensions;
        if (dims.Length > 1 && dims[^1] == 1)
        {
            dims = dims[..^1];
        }

        var result = new Tensor(new TensorShape([.. dims, classes]));
        Span<float> output = result.AsSpan();
        for (int i = 0; i < values.Length; i++)
        {
            output[(i * classes) + (int)values[i]] = 1f;
        }

        return result;
    }
}
