namespace NeuralNet;

/// <summary>
/// A dense, contiguous, row-major N-dimensional array of <see cref="float"/>.
/// </summary>
/// <remarks>
/// A tensor is a window (<c>offset</c>, <c>length</c>) onto a <see cref="float"/> array. <see cref="Reshape"/>
/// and <see cref="Slice"/> return views that share that array, so writing through a view changes the
/// original; <see cref="Clone"/> makes an independent copy. Tensors are not thread-safe for concurrent writes.
/// </remarks>
public sealed partial class Tensor
{
    private readonly float[] _storage;
    private readonly int _offset;
    private Tensor? _firstRowsView;
    private Tensor? _columnVector;

    /// <summary>Creates a tensor of zeros with the given shape.</summary>
    /// <param name="shape">The shape; the first dimension may be 0 (an empty batch), every other one must be positive.</param>
    public Tensor(TensorShape shape)
        : this(new float[shape.ElementCount], 0, shape)
    {
    }

    /// <summary>Creates a tensor of zeros with the given dimensions.</summary>
    /// <param name="dimensions">The length of each axis; the first may be 0 (an empty batch), every other one must be positive.</param>
    /// <exception cref="ArgumentException">A dimension is zero, negative, or the element count overflows.</exception>
    public Tensor(params ReadOnlySpan<int> dimensions)
        : this(new TensorShape(dimensions))
    {
    }

    private Tensor(float[] storage, int offset, TensorShape shape)
    {
        _storage = storage;
        _offset = offset;
        Shape = shape;
    }

    /// <summary>The shape of the tensor.</summary>
    public TensorShape Shape { get; }

    /// <summary>The number of axes.</summary>
    public int Rank => Shape.Rank;

    /// <summary>The number of elements.</summary>
    public int Length => Shape.ElementCount;

    /// <summary>The elements in row-major order. Writes go to the tensor (and to every view sharing its storage).</summary>
    public Span<float> AsSpan() => _storage.AsSpan(_offset, Length);

    /// <summary>The elements in row-major order, read-only.</summary>
    public ReadOnlySpan<float> AsReadOnlySpan() => new(_storage, _offset, Length);

    /// <summary>Whether this tensor and <paramref name="other"/> are windows onto the same storage array.</summary>
    public bool SharesStorageWith(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return ReferenceEquals(_storage, other._storage);
    }

    /// <summary>Whether this tensor is the view <c>source.Slice(start, count)</c> would give.</summary>
    internal bool SharesRowsOf(Tensor source, int start, int count) =>
        ReferenceEquals(_storage, source._storage) && Rank == source.Rank && Shape[0] == count
        && _offset == source._offset + (start * (source.Shape[0] == 0 ? 0 : source.Length / source.Shape[0]))
        && Shape.Dimensions[1..].SequenceEqual(source.Shape.Dimensions[1..]);

    /// <summary>Gets or sets one element by its index on every axis.</summary>
    /// <exception cref="ArgumentException">The number of indices differs from <see cref="Rank"/>.</exception>
    /// <exception cref="IndexOutOfRangeException">An index is outside its axis.</exception>
    public float this[params ReadOnlySpan<int> indices]
    {
        get => _storage[_offset + FlatIndex(indices)];
        set => _storage[_offset + FlatIndex(indices)] = value;
    }

    private int FlatIndex(ReadOnlySpan<int> indices)
    {
        if (indices.Length != Rank)
        {
            throw new ArgumentException($"Tensor of shape {Shape} needs {Rank} indices but got {indices.Length}.", nameof(indices));
        }

        ReadOnlySpan<int> dims = Shape.Dimensions;
        int flat = 0;
        for (int axis = 0; axis < indices.Length; axis++)
        {
            int i = indices[axis];
            if ((uint)i >= (uint)dims[axis])
            {
                throw new IndexOutOfRangeException($"Index {i} is outside axis {axis} of length {dims[axis]} (shape {Shape}).");
            }

            flat = (flat * dims[axis]) + i;
        }

        return flat;
    }

    /// <summary>
    /// Returns a view with new dimensions over the same elements. One dimension may be <c>-1</c>: it is
    /// inferred from the element count.
    /// </summary>
    /// <exception cref="ArgumentException">The element counts differ, more than one <c>-1</c> is given, or a dimension is invalid.</exception>
    public Tensor Reshape(params ReadOnlySpan<int> dimensions)
    {
        Span<int> resolved = dimensions.Length <= 16 ? stackalloc int[dimensions.Length] : new int[dimensions.Length];
        dimensions.CopyTo(resolved);
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < resolved.Length; i++)
        {
            if (resolved[i] == -1)
            {
                if (inferred >= 0)
                {
                    throw new ArgumentException($"Reshape of {Shape} to {TensorShape.Format(dimensions)}: only one dimension can be -1.", nameof(dimensions));
                }

                inferred = i;
            }
            else if (resolved[i] <= 0)
            {
                throw new ArgumentException($"Reshape of {Shape} to {TensorShape.Format(dimensions)}: dimension {i} is {resolved[i]}; dimensions must be positive or -1.", nameof(dimensions));
            }
            else
            {
                known *= resolved[i];
            }
        }

        if (inferred >= 0)
        {
            if (known == 0 || Length % known != 0)
            {
                throw new ArgumentException($"Cannot reshape {Shape} ({Length} elements) to {TensorShape.Format(dimensions)}: {Length} is not a multiple of {known}.", nameof(dimensions));
            }

            resolved[inferred] = (int)(Length / known);
        }

        var shape = new TensorShape(resolved);
        if (shape.ElementCount != Length)
        {
            throw new ArgumentException($"Cannot reshape {Shape} ({Length} elements) to {shape} ({shape.ElementCount} elements).", nameof(dimensions));
        }

        return new Tensor(_storage, _offset, shape);
    }

    /// <summary>A view of the same elements with <paramref name="shape"/>, which must count as many (an empty batch too, which <see cref="Reshape"/> refuses).</summary>
    internal Tensor ViewAs(TensorShape shape)
    {
        if (shape.ElementCount != Length)
        {
            throw new ArgumentException($"Cannot view {Shape} ({Length} elements) as {shape} ({shape.ElementCount} elements).", nameof(shape));
        }

        return new Tensor(_storage, _offset, shape);
    }

    /// <summary>Returns a view of <paramref name="count"/> entries of the first axis starting at <paramref name="start"/> (a batch of samples).</summary>
    /// <remarks>A count of 0 gives an empty tensor (0, ...).</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the first axis.</exception>
    public Tensor Slice(int start, int count)
    {
        if (Rank == 0)
        {
            throw new InvalidOperationException("A scalar tensor has no first axis to slice.");
        }

        int first = Shape[0];
        if (start < 0 || count < 0 || start > first - count)
        {
            throw new ArgumentOutOfRangeException(nameof(start), $"Slice [{start}, {start + count}) is outside the first axis of {Shape}; expected 0 <= start, 0 <= count and start + count <= {first}.");
        }

        int stride = 1;
        foreach (int d in Shape.Dimensions[1..])
        {
            stride *= d;
        }

        Span<int> dims = stackalloc int[Rank];
        Shape.Dimensions.CopyTo(dims);
        dims[0] = count;
        return new Tensor(_storage, _offset + (start * stride), new TensorShape(dims));
    }

    /// <summary>
    /// The first <paramref name="count"/> entries of the first axis as a view, remembered so that asking again for the
    /// same count returns the same view. This keeps the last, smaller batch of an epoch allocation-free.
    /// </summary>
    internal Tensor FirstRows(int count)
    {
        if (count == Shape[0])
        {
            return this;
        }

        Tensor? cached = _firstRowsView;
        if (cached is null || cached.Shape[0] != count)
        {
            cached = Slice(0, count);
            _firstRowsView = cached;
        }

        return cached;
    }

    /// <summary>
    /// This (n, 1) column as an (n) view, remembered so that asking again returns the same view: (samples, 1) sample weights,
    /// read as one weight per sample, then cost a custom loop's warm step nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tensor is not of shape (n, 1).</exception>
    internal Tensor ColumnAsVector()
    {
        if (Rank != 2 || Shape[1] != 1)
        {
            throw new InvalidOperationException($"ColumnAsVector needs a tensor of shape (n, 1), not {Shape}.");
        }

        return _columnVector ??= new Tensor(_storage, _offset, new TensorShape(Shape[0]));
    }

    /// <summary>Returns an independent copy.</summary>
    public Tensor Clone()
    {
        var copy = new Tensor(Shape);
        AsReadOnlySpan().CopyTo(copy.AsSpan());
        return copy;
    }

    /// <summary>Copies the elements into <paramref name="destination"/>, which must have the same number of elements.</summary>
    /// <exception cref="ArgumentException">The element counts differ.</exception>
    public void CopyTo(Tensor destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (destination.Length != Length)
        {
            throw new ArgumentException($"CopyTo: source {Shape} has {Length} elements but destination {destination.Shape} has {destination.Length}.", nameof(destination));
        }

        AsReadOnlySpan().CopyTo(destination.AsSpan());
    }

    /// <summary>Returns the elements as a new array.</summary>
    public float[] ToArray() => AsReadOnlySpan().ToArray();

    internal float[] Storage => _storage;

    internal int Offset => _offset;
}
