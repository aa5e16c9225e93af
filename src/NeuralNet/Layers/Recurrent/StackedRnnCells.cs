using System.Text.Json.Nodes;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Keras' <c>StackedRNNCells</c>: cells run one after another within each step, each reading the previous cell's output;
/// the states are every cell's states in order, the output the last cell's. Their parameters are named
/// <c>cell_0/kernel</c>, <c>cell_1/kernel</c>, ... in the layer.
/// </summary>
/// <example><code>var rnn = new Rnn(new StackedRnnCells(new LstmCell(32), new LstmCell(32)));</code></example>
public sealed class StackedRnnCells : RnnCell
{
    private RnnCell[] _cells;
    private readonly (int[] States, int Output)[] _declared;
    private int[] _stateOffsets = [];
    private float[][] _outputs = [];
    private float[] _gradientA = [];
    private float[] _gradientB = [];
    private SeededRandom[] _randoms = [];

    /// <summary>Stacks <paramref name="cells"/>, the first reading the step's input.</summary>
    /// <param name="cells">The cells, at least one, each unbuilt.</param>
    /// <exception cref="ArgumentException">No cell is given, one is null, built, or given twice.</exception>
    public StackedRnnCells(params RnnCell[] cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        if (cells.Length == 0 || cells.Any(c => c is null) || cells.Distinct().Count() != cells.Length || cells.Any(c => c.IsBuilt))
        {
            throw new ArgumentException($"StackedRNNCells needs at least one cell, each given once, unbuilt and not null, but got [{string.Join(", ", cells.Select(c => c?.TypeName ?? "null"))}].", nameof(cells));
        }

        _cells = [.. cells];
        _declared = [.. cells.Select(c => (c.StateSizes?.ToArray() ?? [], c.OutputSize))];
        StateSizes = [.. _declared.SelectMany(d => d.States)];
    }

    /// <summary>The cells, in the order they run (the layer's built copies once built).</summary>
    public IReadOnlyList<RnnCell> Cells => _cells;

    /// <summary>
    /// <paramref name="cell"/> and, when it is stacked cells, every cell it holds at any depth (stacked cells inside stacked
    /// cells included, each before the cells it holds), in the order they run.
    /// </summary>
    /// <param name="cell">The cell of an <see cref="Rnn"/>, stacked or not.</param>
    /// <returns>The cells, <paramref name="cell"/> first.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="cell"/> is null.</exception>
    public static IEnumerable<RnnCell> AllCells(RnnCell cell)
    {
        ArgumentNullException.ThrowIfNull(cell);
        return Walk(cell);

        static IEnumerable<RnnCell> Walk(RnnCell cell)
        {
            yield return cell;
            if (cell is StackedRnnCells stacked)
            {
                foreach (RnnCell inner in stacked._cells)
                {
                    foreach (RnnCell held in Walk(inner))
                    {
                        yield return held;
                    }
                }
            }
        }
    }

    /// <inheritdoc/>
    public override IReadOnlyList<int> StateSizes { get; }

    /// <inheritdoc/>
    public override int OutputSize => _cells[^1].OutputSize;

    /// <inheritdoc/>
    public override string TypeName => "StackedRNNCells";

    /// <inheritdoc/>
    internal override long? DropoutSeed => _cells.Select(c => c.DropoutSeed).FirstOrDefault(s => s is not null);

    /// <inheritdoc/>
    public override Config GetConfig()
    {
        var cells = new JsonArray();
        foreach (RnnCell cell in _cells)
        {
            cells.Add((JsonNode)SerializationRegistry.Serialize(cell));
        }

        return base.GetConfig().Set("cells", cells);
    }

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static StackedRnnCells FromConfig(Config config)
    {
        if (config.GetNode("cells") is not JsonArray items || items.Count == 0)
        {
            throw config.Error("\"cells\" must be a non-empty list of cells, each {\"class_name\", \"config\"}.");
        }

        var cells = new RnnCell[items.Count];
        for (int i = 0; i < cells.Length; i++)
        {
            cells[i] = SerializationRegistry.Deserialize<RnnCell>(items[i] ?? throw config.Error($"\"cells\"[{i}] is null."), config, $"cells[{i}]");
        }

        return new StackedRnnCells(cells);
    }

    /// <inheritdoc/>
    protected internal override RnnCell CopyUnbuilt()
    {
        var copy = (StackedRnnCells)base.CopyUnbuilt();
        copy._cells = [.. _cells.Select(c => c.CopyUnbuilt())];
        return copy;
    }

    /// <inheritdoc/>
    protected override void OnBuild(int inputSize)
    {
        int features = inputSize;
        _stateOffsets = new int[_cells.Length];
        for (int k = 0; k < _cells.Length; k++)
        {
            string prefix = $"cell_{k}/";
            _cells[k].Build(features, (name, shape, initializer, regularizer, constraint) => AddWeight(prefix + name, shape, initializer, regularizer, constraint));

            // The stack's state sizes are the cells' declared ones: a cell that changed them would overrun the others' states.
            _cells[k].CheckBuiltSizes(_declared[k].States, _declared[k].Output, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"StackedRNNCells' cell {k}"));
            _stateOffsets[k] = k == 0 ? 0 : _stateOffsets[k - 1] + _cells[k - 1].TotalStateSize;
            features = _cells[k].BuiltOutputSize;
        }

        _outputs = new float[_cells.Length - 1][];
        Array.Fill(_outputs, []);
        _randoms = [.. _cells.Select(_ => new SeededRandom(0))];
    }

    /// <inheritdoc/>
    public override void Prepare(int batch, int steps, bool training)
    {
        int widest = 0;
        foreach (RnnCell cell in _cells)
        {
            widest = Math.Max(widest, Math.Max(cell.BuiltOutputSize, cell.InputSize));
        }

        CellBuffers(ref _gradientA, batch * widest);
        CellBuffers(ref _gradientB, batch * widest);

        // Keras gives each cell its own SeedGenerator: cell k draws its dropout masks from a generator of its own,
        // reseeded for each training sequence from one draw of the layer's generator, the cell's index and the cell's own
        // seed. The cells' masks differ, and the layer's generator (the one a saved model keeps) reproduces them all.
        long draw = training && Random is not null ? (long)Random.NextUInt64() : 0;
        for (int k = 0; k < _cells.Length; k++)
        {
            if (k < _outputs.Length)
            {
                CellBuffers(ref _outputs[k], steps * batch * _cells[k].BuiltOutputSize);
            }

            if (Random is not null)
            {
                _randoms[k].Reseed(SeededRandom.Derive(SeededRandom.Derive(draw, k), _cells[k].DropoutSeed ?? 0));
                _cells[k].Random = _randoms[k];
            }

            _cells[k].Prepare(batch, steps, training);
        }
    }

    /// <inheritdoc/>
    public override void Forward(int batch, int step, ReadOnlySpan<float> input, ReadOnlySpan<float> states, Span<float> output, Span<float> newStates)
    {
        ReadOnlySpan<float> x = input;
        for (int k = 0; k < _cells.Length; k++)
        {
            RnnCell cell = _cells[k];
            Span<float> y = k == _cells.Length - 1 ? output : Output(k, step, batch);
            cell.Forward(batch, step, x, CellStates(states, batch, k), y, CellStates(newStates, batch, k));
            x = y;
        }
    }

    /// <inheritdoc/>
    public override void Backward(int batch, int step, ReadOnlySpan<float> input, ReadOnlySpan<float> states, ReadOnlySpan<float> newStates,
        ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> newStateGradients, Span<float> inputGradient, Span<float> stateGradients)
    {
        ReadOnlySpan<float> dy = outputGradient;
        for (int k = _cells.Length - 1; k >= 0; k--)
        {
            RnnCell cell = _cells[k];
            ReadOnlySpan<float> x = k == 0 ? input : Output(k - 1, step, batch);
            Span<float> dx = k == 0 ? inputGradient : ((_cells.Length - 1 - k) % 2 == 0 ? _gradientA : _gradientB).AsSpan(0, batch * cell.InputSize);

            // Zeroed as RnnCell.Backward promises (the layer zeroes inputGradient and the states' gradients).
            dx.Clear();
            cell.Backward(batch, step, x, CellStates(states, batch, k), CellStates(newStates, batch, k), dy, CellStates(newStateGradients, batch, k),
                dx, CellStates(stateGradients, batch, k));
            dy = dx;
        }
    }

    private Span<float> Output(int k, int step, int batch)
    {
        int o = _cells[k].BuiltOutputSize;
        return _outputs[k].AsSpan(step * batch * o, batch * o);
    }

    private Span<float> CellStates(Span<float> states, int batch, int k) => states.Slice(batch * _stateOffsets[k], batch * _cells[k].TotalStateSize);

    private ReadOnlySpan<float> CellStates(ReadOnlySpan<float> states, int batch, int k) => states.Slice(batch * _stateOffsets[k], batch * _cells[k].TotalStateSize);

    private static void CellBuffers(ref float[] buffer, int length) => CellProjections.Grow(ref buffer, length);
}
