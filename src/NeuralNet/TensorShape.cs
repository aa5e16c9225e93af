using System.Text;

namespace NeuralNet;

/// <summary>
/// The dimensions of a <see cref="Tensor"/>: rank, the length of each axis and the element count.
/// Immutable; compares by value. Prints like a Python tuple: <c>(32, 784)</c>, <c>(784,)</c>.
/// </summary>
public readonly struct TensorShape : IEquatable<TensorShape>
{
    private readonly int[]? _dimensions;
    private readonly int _elementCountMinusOne;

    /// <summary>Creates a shape from its dimensions.</summary>
    /// <param name="dimensions">The length of each axis: the first may be 0 (no samples, an empty tensor), every other one must be positive.</param>
    /// <exception cref="ArgumentException">A dimension is negative, one after the first is zero, or the element count overflows <see cref="int"/>.</exception>
    public TensorShape(params ReadOnlySpan<int> dimensions)
    {
        _dimensions = dimensions.ToArray();
        _elementCountMinusOne = CountElements(_dimensions, nameof(dimensions)) - 1;
    }

    /// <summary>The number of axes.</summary>
    public int Rank => _dimensions?.Length ?? 0;

    /// <summary>The total number of elements: the product of the dimensions (1 for a scalar shape).</summary>
    // Stored minus one so that default(TensorShape) (what `new TensorShape()` gives: C# skips a params constructor for a
    // struct's parameterless call) is the scalar shape it compares equal to, with one element.
    public int ElementCount => _elementCountMinusOne + 1;

    /// <summary>The dimensions, outermost first.</summary>
    public ReadOnlySpan<int> Dimensions => _dimensions;

    /// <summary>The length of axis <paramref name="axis"/> counted with C#'s index operator: <c>shape[^1]</c> is the last axis.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The axis does not exist.</exception>
    public int this[Index axis]
    {
        get
        {
            int rank = Rank;
            int resolved = axis.GetOffset(rank);
            if ((uint)resolved >= (uint)rank)
            {
                throw new ArgumentOutOfRangeException(nameof(axis), axis.ToString(), $"Axis {axis} does not exist in shape {this} of rank {rank}.");
            }

            return _dimensions![resolved];
        }
    }

    /// <summary>The length of axis <paramref name="axis"/>; negative values count from the end.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The axis does not exist.</exception>
    public int this[int axis]
    {
        get
        {
            int rank = Rank;
            int resolved = axis < 0 ? axis + rank : axis;
            if ((uint)resolved >= (uint)rank)
            {
                throw new ArgumentOutOfRangeException(nameof(axis), axis, $"Axis {axis} does not exist in shape {this} of rank {rank}.");
            }

            return _dimensions![resolved];
        }
    }

    /// <summary>Returns a shape with <paramref name="leading"/> put in front of these dimensions, e.g. a batch axis.</summary>
    public TensorShape Prepend(int leading)
    {
        Span<int> dims = stackalloc int[Rank + 1];
        dims[0] = leading;
        Dimensions.CopyTo(dims[1..]);
        return new TensorShape(dims);
    }

    /// <summary>Returns the shape without its first axis (for a batch shape, the shape of one sample).</summary>
    /// <exception cref="InvalidOperationException">The shape has rank 0.</exception>
    public TensorShape DropFirst()
    {
        if (Rank == 0)
        {
            throw new InvalidOperationException("A scalar shape has no first axis to drop.");
        }

        return new TensorShape(Dimensions[1..]);
    }

    /// <summary>The product of the dimensions, validated.</summary>
    internal static int CountElements(ReadOnlySpan<int> dimensions, string parameterName)
    {
        long count = 1;
        for (int i = 0; i < dimensions.Length; i++)
        {
            int d = dimensions[i];
            if (d < 0 || (d == 0 && i > 0))
            {
                throw new ArgumentException($"Dimension {i} is {d}; the first dimension must be 0 or more (0 for an empty batch) and every other one positive. Shape: {Format(dimensions)}.", parameterName);
            }

            count *= d;
            if (count > Array.MaxLength)
            {
                throw new ArgumentException($"Shape {Format(dimensions)} has more elements than an array can hold ({Array.MaxLength}).", parameterName);
            }
        }

        return (int)count;
    }

    /// <inheritdoc/>
    public bool Equals(TensorShape other) => Dimensions.SequenceEqual(other.Dimensions);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is TensorShape other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (int d in Dimensions)
        {
            hash.Add(d);
        }

        return hash.ToHashCode();
    }

    /// <summary>Value equality.</summary>
    public static bool operator ==(TensorShape left, TensorShape right) => left.Equals(right);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(TensorShape left, TensorShape right) => !left.Equals(right);

    /// <summary>Formats the shape like a Python tuple: <c>(32, 784)</c>, <c>(784,)</c>, <c>()</c>.</summary>
    public override string ToString() => Format(Dimensions);

    /// <summary>Formats the shape with a leading <c>None</c> batch axis, as Keras prints layer shapes: <c>(None, 784)</c>.</summary>
    public string ToBatchString()
    {
        var sb = new StringBuilder("(None");
        foreach (int d in Dimensions)
        {
            sb.Append(", ").Append(d);
        }

        return sb.Append(')').ToString();
    }

    internal static string Format(ReadOnlySpan<int> dimensions)
    {
        if (dimensions.Length == 1)
        {
            return $"({dimensions[0]},)";
        }

        var sb = new StringBuilder("(");
        for (int i = 0; i < dimensions.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            sb.Append(dimensions[i]);
        }

        return sb.Append(')').ToString();
    }
}
