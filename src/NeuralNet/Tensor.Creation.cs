namespace NeuralNet;

public sealed partial class Tensor
{
    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(params ReadOnlySpan<int> dimensions) => new(dimensions);

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(params ReadOnlySpan<int> dimensions) => Filled(1f, dimensions);

    /// <summary>A tensor with every element set to <paramref name="value"/>.</summary>
    public static Tensor Filled(float value, params ReadOnlySpan<int> dimensions)
    {
        var t = new Tensor(dimensions);
        t.AsSpan().Fill(value);
        return t;
    }

    /// <summary>
    /// Wraps <paramref name="data"/> without copying: the tensor and the array share storage.
    /// </summary>
    /// <param name="data">The elements in row-major order.</param>
    /// <param name="dimensions">The shape; its element count must equal <c>data.Length</c>.</param>
    /// <exception cref="ArgumentException">The array length does not match the shape.</exception>
    public static Tensor FromArray(float[] data, params ReadOnlySpan<int> dimensions)
    {
        ArgumentNullException.ThrowIfNull(data);
        var shape = new TensorShape(dimensions);
        if (shape.ElementCount != data.Length)
        {
            throw new ArgumentException($"Array of length {data.Length} does not fit shape {shape} ({shape.ElementCount} elements).", nameof(data));
        }

        return new Tensor(data, 0, shape);
    }

    /// <summary>Creates a tensor holding a copy of <paramref name="values"/>.</summary>
    /// <exception cref="ArgumentException">The span length does not match the shape.</exception>
    public static Tensor FromSpan(ReadOnlySpan<float> values, params ReadOnlySpan<int> dimensions)
    {
        var shape = new TensorShape(dimensions);
        if (shape.ElementCount != values.Length)
        {
            throw new ArgumentException($"Span of length {values.Length} does not fit shape {shape} ({shape.ElementCount} elements).", nameof(values));
        }

        var t = new Tensor(shape);
        values.CopyTo(t.AsSpan());
        return t;
    }

    /// <summary>Creates a (rows, columns) tensor from a rectangular array.</summary>
    public static Tensor FromArray(float[,] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        int rows = values.GetLength(0), columns = values.GetLength(1);
        var t = new Tensor(rows, columns);
        Span<float> span = t.AsSpan();
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                span[(r * columns) + c] = values[r, c];
            }
        }

        return t;
    }

    /// <summary>Creates a (rows, columns) tensor from a jagged array whose rows all have the same length (a copy).</summary>
    /// <param name="rows">The rows, at least one, each with at least one value.</param>
    /// <exception cref="ArgumentException">There are no rows, a row is empty or null, or the rows' lengths differ (the first such row is named).</exception>
    public static Tensor FromArray(float[][] rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Length == 0 || rows[0] is null || rows[0].Length == 0)
        {
            throw new ArgumentException("A tensor from rows needs at least one row with at least one value (the rows give the column count); for an empty batch use new Tensor(0, columns).", nameof(rows));
        }

        int columns = rows[0].Length;
        for (int r = 1; r < rows.Length; r++)
        {
            if (rows[r] is null || rows[r].Length != columns)
            {
                throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"Row {r} has {(rows[r] is null ? "no array" : $"{rows[r].Length} values")} but row 0 has {columns}; a tensor's rows have one length."), nameof(rows));
            }
        }

        var t = new Tensor(rows.Length, columns);
        for (int r = 0; r < rows.Length; r++)
        {
            rows[r].CopyTo(t.AsSpan().Slice(r * columns, columns));
        }

        return t;
    }

    /// <summary>Creates a tensor from double-precision values (a copy, each rounded to the nearest float).</summary>
    /// <param name="data">The elements in row-major order.</param>
    /// <param name="dimensions">The shape; its element count must equal <c>data.Length</c>.</param>
    /// <exception cref="ArgumentException">The array length does not match the shape.</exception>
    public static Tensor FromArray(double[] data, params ReadOnlySpan<int> dimensions)
    {
        ArgumentNullException.ThrowIfNull(data);
        var shape = new TensorShape(dimensions);
        if (shape.ElementCount != data.Length)
        {
            throw new ArgumentException($"Array of length {data.Length} does not fit shape {shape} ({shape.ElementCount} elements).", nameof(data));
        }

        var t = new Tensor(shape);
        Span<float> span = t.AsSpan();
        for (int i = 0; i < data.Length; i++)
        {
            span[i] = (float)data[i];
        }

        return t;
    }

    /// <summary>Creates a (rows, columns) tensor from a rectangular array of doubles (a copy, each rounded to the nearest float).</summary>
    public static Tensor FromArray(double[,] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        int rows = values.GetLength(0), columns = values.GetLength(1);
        var t = new Tensor(rows, columns);
        Span<float> span = t.AsSpan();
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                span[(r * columns) + c] = (float)values[r, c];
            }
        }

        return t;
    }

    /// <summary>A tensor of samples from a normal distribution, reproducible from <paramref name="seed"/>: the same values on every call with that seed.</summary>
    /// <remarks>For fresh values on each call (noise in a training loop) draw from a <see cref="SeedGenerator"/> instead.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="standardDeviation"/> is negative or not finite.</exception>
    public static Tensor RandomNormal(TensorShape shape, long seed, float mean = 0f, float standardDeviation = 1f)
    {
        RandomDraws.CheckStandardDeviation(standardDeviation);
        var t = new Tensor(shape);
        RandomDraws.Normal(new SeededRandom(seed), t.AsSpan(), mean, standardDeviation);
        return t;
    }

    /// <summary>
    /// A tensor of samples from a normal distribution, the next draws of <paramref name="seed"/>'s stream (Keras'
    /// <c>keras.random.normal(shape, seed=seed_generator)</c>): each call gives new values, a rerun the same sequence.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="standardDeviation"/> is negative or not finite.</exception>
    public static Tensor RandomNormal(TensorShape shape, SeedGenerator seed, float mean = 0f, float standardDeviation = 1f)
    {
        ArgumentNullException.ThrowIfNull(seed);
        RandomDraws.CheckStandardDeviation(standardDeviation);
        var t = new Tensor(shape);
        seed.FillNormal(t, mean, standardDeviation);
        return t;
    }

    /// <summary>A tensor of samples uniformly distributed in [<paramref name="minimum"/>, <paramref name="maximum"/>), reproducible from <paramref name="seed"/>: the same values on every call with that seed.</summary>
    /// <exception cref="ArgumentException"><paramref name="maximum"/> is below <paramref name="minimum"/>, or the range
    /// <paramref name="maximum"/> − <paramref name="minimum"/> is not a finite float.</exception>
    public static Tensor RandomUniform(TensorShape shape, long seed, float minimum = 0f, float maximum = 1f)
    {
        float largest = RandomDraws.CheckUniformRange(minimum, maximum);
        var t = new Tensor(shape);
        RandomDraws.Uniform(new SeededRandom(seed), t.AsSpan(), minimum, maximum - minimum, largest);
        return t;
    }

    /// <summary>
    /// A tensor of samples uniformly distributed in [<paramref name="minimum"/>, <paramref name="maximum"/>), the next
    /// draws of <paramref name="seed"/>'s stream (Keras' <c>keras.random.uniform(shape, seed=seed_generator)</c>).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="maximum"/> is below <paramref name="minimum"/>, or the range
    /// <paramref name="maximum"/> − <paramref name="minimum"/> is not a finite float.</exception>
    public static Tensor RandomUniform(TensorShape shape, SeedGenerator seed, float minimum = 0f, float maximum = 1f)
    {
        ArgumentNullException.ThrowIfNull(seed);
        RandomDraws.CheckUniformRange(minimum, maximum);
        var t = new Tensor(shape);
        seed.FillUniform(t, minimum, maximum);
        return t;
    }
}
