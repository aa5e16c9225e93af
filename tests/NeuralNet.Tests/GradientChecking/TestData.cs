namespace NeuralNet.Tests.GradientChecking;

/// <summary>Seeded tensors for tests: random values, values kept away from 0 (kinks), one-hot and label targets.</summary>
public static class TestData
{
    /// <summary>Standard normal values (times <paramref name="scale"/>).</summary>
    public static Tensor Normal(long seed, float scale, params int[] dims) =>
        Tensor.RandomNormal(new TensorShape(dims), seed, 0f, scale);

    /// <summary>Normal values pushed at least <paramref name="margin"/> away from 0, so ReLU-like kinks are not crossed by a step.</summary>
    public static Tensor AwayFromZero(long seed, float margin, params int[] dims)
    {
        Tensor t = Normal(seed, 1f, dims);
        Span<float> s = t.AsSpan();
        for (int i = 0; i < s.Length; i++)
        {
            s[i] = s[i] >= 0 ? s[i] + margin : s[i] - margin;
        }

        return t;
    }

    /// <summary>Rows of probabilities (a softmax of normal logits), (rows, classes).</summary>
    public static Tensor Probabilities(long seed, int rows, int classes)
    {
        Tensor t = Normal(seed, 1f, rows, classes);
        NeuralNet.Activations.ActivationFunction.Softmax.Forward(t.AsReadOnlySpan(), t.AsSpan(), classes);
        return t;
    }

    /// <summary>Random class labels in [0, classes), as floats, shape (rows).</summary>
    public static Tensor Labels(long seed, int rows, int classes)
    {
        var random = new SeededRandom(seed);
        var t = new Tensor(rows);
        for (int i = 0; i < rows; i++)
        {
            t[i] = random.NextInt(classes);
        }

        return t;
    }

    /// <summary>One-hot rows for <paramref name="labels"/>, (rows, classes).</summary>
    public static Tensor OneHot(Tensor labels, int classes)
    {
        var t = new Tensor(labels.Length, classes);
        for (int i = 0; i < labels.Length; i++)
        {
            t[i, (int)labels.AsReadOnlySpan()[i]] = 1f;
        }

        return t;
    }
}
