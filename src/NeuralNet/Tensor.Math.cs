using System.Numerics.Tensors;

namespace NeuralNet;

// Element-wise arithmetic and reductions. Shapes must match exactly (no broadcasting): a mismatch is
// almost always a bug in the caller, and saying so beats silently broadcasting.
public sealed partial class Tensor
{
    /// <summary>Writes <c>x + y</c> element-wise into <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static void Add(Tensor x, Tensor y, Tensor destination)
    {
        CheckSameShape(nameof(Add), x, y, destination);
        TensorPrimitives.Add(x.AsReadOnlySpan(), y.AsReadOnlySpan(), destination.AsSpan());
    }

    /// <summary>Writes <c>x - y</c> element-wise into <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static void Subtract(Tensor x, Tensor y, Tensor destination)
    {
        CheckSameShape(nameof(Subtract), x, y, destination);
        TensorPrimitives.Subtract(x.AsReadOnlySpan(), y.AsReadOnlySpan(), destination.AsSpan());
    }

    /// <summary>Writes <c>x * y</c> element-wise into <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static void Multiply(Tensor x, Tensor y, Tensor destination)
    {
        CheckSameShape(nameof(Multiply), x, y, destination);
        TensorPrimitives.Multiply(x.AsReadOnlySpan(), y.AsReadOnlySpan(), destination.AsSpan());
    }

    /// <summary>Writes <c>x / y</c> element-wise into <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static void Divide(Tensor x, Tensor y, Tensor destination)
    {
        CheckSameShape(nameof(Divide), x, y, destination);
        TensorPrimitives.Divide(x.AsReadOnlySpan(), y.AsReadOnlySpan(), destination.AsSpan());
    }

    /// <summary>Element-wise sum, in a new tensor.</summary>
    public static Tensor operator +(Tensor x, Tensor y) => Binary(x, y, Add);

    /// <summary>Element-wise difference, in a new tensor.</summary>
    public static Tensor operator -(Tensor x, Tensor y) => Binary(x, y, Subtract);

    /// <summary>Element-wise product, in a new tensor.</summary>
    public static Tensor operator *(Tensor x, Tensor y) => Binary(x, y, Multiply);

    /// <summary>Element-wise quotient, in a new tensor.</summary>
    public static Tensor operator /(Tensor x, Tensor y) => Binary(x, y, Divide);

    /// <summary>Adds a scalar to every element, in a new tensor.</summary>
    public static Tensor operator +(Tensor x, float y)
    {
        ArgumentNullException.ThrowIfNull(x);
        var result = new Tensor(x.Shape);
        TensorPrimitives.Add(x.AsReadOnlySpan(), y, result.AsSpan());
        return result;
    }

    /// <summary>Subtracts a scalar from every element, in a new tensor.</summary>
    public static Tensor operator -(Tensor x, float y) => x + (-y);

    /// <summary>Multiplies every element by a scalar, in a new tensor.</summary>
    public static Tensor operator *(Tensor x, float y)
    {
        ArgumentNullException.ThrowIfNull(x);
        var result = new Tensor(x.Shape);
        TensorPrimitives.Multiply(x.AsReadOnlySpan(), y, result.AsSpan());
        return result;
    }

    /// <summary>Multiplies every element by a scalar, in a new tensor.</summary>
    public static Tensor operator *(float x, Tensor y) => y * x;

    /// <summary>Divides every element by a scalar, in a new tensor.</summary>
    public static Tensor operator /(Tensor x, float y)
    {
        ArgumentNullException.ThrowIfNull(x);
        var result = new Tensor(x.Shape);
        TensorPrimitives.Divide(x.AsReadOnlySpan(), y, result.AsSpan());
        return result;
    }

    /// <summary>Negates every element, in a new tensor.</summary>
    public static Tensor operator -(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var result = new Tensor(x.Shape);
        TensorPrimitives.Negate(x.AsReadOnlySpan(), result.AsSpan());
        return result;
    }

    /// <summary>Adds <paramref name="other"/> into this tensor element-wise.</summary>
    public void AddInPlace(Tensor other) => Add(this, other, this);

    /// <summary>Multiplies every element of this tensor by <paramref name="factor"/>.</summary>
    public void Scale(float factor) => TensorPrimitives.Multiply(AsReadOnlySpan(), factor, AsSpan());

    /// <summary>Sets every element to <paramref name="value"/>.</summary>
    public void Fill(float value) => AsSpan().Fill(value);

    /// <summary>The sum of all elements, accumulated in double precision over blocks of float sums.</summary>
    public float Sum() => (float)BlockedSum(AsReadOnlySpan());

    /// <summary>The mean of all elements (NaN for a tensor with no elements), accumulated as <see cref="Sum"/> is.</summary>
    public float Mean() => (float)(BlockedSum(AsReadOnlySpan()) / Length);

    // TensorPrimitives.Sum keeps one float per SIMD lane, which drifts as it grows (2^24 copies of 0.1f summed 1 % high)
    // and stops growing once a lane reaches 2^24 times the values; short float blocks added in double stay accurate at
    // any length, as numpy's pairwise summation does.
    private static double BlockedSum(ReadOnlySpan<float> values)
    {
        const int Block = 256;
        double sum = 0;
        for (int start = 0; start < values.Length; start += Block)
        {
            sum += TensorPrimitives.Sum(values.Slice(start, Math.Min(Block, values.Length - start)));
        }

        return sum;
    }

    /// <summary>The largest element (NaN if any element is NaN).</summary>
    /// <exception cref="InvalidOperationException">The tensor has no elements.</exception>
    public float Max() => TensorPrimitives.Max(NonEmpty(nameof(Max)));

    /// <summary>The smallest element (NaN if any element is NaN).</summary>
    /// <exception cref="InvalidOperationException">The tensor has no elements.</exception>
    public float Min() => TensorPrimitives.Min(NonEmpty(nameof(Min)));

    private ReadOnlySpan<float> NonEmpty(string operation) => Length > 0 ? AsReadOnlySpan()
        : throw new InvalidOperationException($"{operation} of a tensor with no elements {Shape}: there is no element to return.");

    /// <summary>
    /// The index of the largest element along the last axis, for every position of the leading axes;
    /// ties go to the first maximum. For a (32, 10) tensor of class scores this is the 32 predicted classes.
    /// </summary>
    public int[] ArgMaxLastAxis()
    {
        int rows = Rank <= 1 ? 1 : Length / Shape[-1];
        var result = new int[rows];
        ArgMaxLastAxis(result);
        return result;
    }

    /// <summary>Writes the index of the largest element along the last axis into <paramref name="destination"/>, one per row.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is not one entry per row.</exception>
    public void ArgMaxLastAxis(Span<int> destination)
    {
        int columns = Rank == 0 ? 1 : Shape[-1];
        if (columns == 0)
        {
            throw new ArgumentException($"ArgMaxLastAxis of {Shape}: the last axis is empty.", nameof(destination));
        }

        int rows = Length / columns;
        if (destination.Length != rows)
        {
            throw new ArgumentException($"ArgMaxLastAxis of {Shape} yields {rows} indices but destination has {destination.Length}.", nameof(destination));
        }

        ReadOnlySpan<float> data = AsReadOnlySpan();
        for (int r = 0; r < rows; r++)
        {
            destination[r] = TensorPrimitives.IndexOfMax(data.Slice(r * columns, columns));
        }
    }

    private static Tensor Binary(Tensor x, Tensor y, Action<Tensor, Tensor, Tensor> operation)
    {
        ArgumentNullException.ThrowIfNull(x);
        var result = new Tensor(x.Shape);
        operation(x, y, result);
        return result;
    }

    private static void CheckSameShape(string operation, Tensor x, Tensor y, Tensor destination)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        ArgumentNullException.ThrowIfNull(destination);
        if (x.Shape != y.Shape)
        {
            throw new ArgumentException($"{operation}: shapes {x.Shape} and {y.Shape} differ; element-wise operations need equal shapes.", nameof(y));
        }

        if (destination.Shape != x.Shape)
        {
            throw new ArgumentException($"{operation}: destination shape {destination.Shape} differs from operand shape {x.Shape}.", nameof(destination));
        }
    }
}
