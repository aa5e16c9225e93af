using NeuralNet.Kernels;

namespace NeuralNet.Optimizers;

public abstract partial class Optimizer
{
    // Below this many elements a parameter is updated on the calling thread: waking the team costs more than it saves.
    private const int ParallelUpdateMinimum = 1 << 16;

    // Per parameter, the slot tensors cut into row blocks (views, created once), indexed [part][slot].
    private readonly Dictionary<Parameter, Tensor[][]> _parallelSlots = new(ReferenceEqualityComparer.Instance);
    private ParallelUpdate? _parallelUpdate;

    /// <summary>
    /// Whether <see cref="Update"/> treats every element independently (every optimizer of the library), so a parameter may be
    /// updated as separate blocks of rows. False for optimizers outside the library, which may need the whole tensor.
    /// </summary>
    private protected virtual bool UpdatesElementwise => false;

    // A large parameter of an element-wise optimizer is updated as row blocks on the GEMM thread team. The Adam step
    // over a 784 x 512 kernel is bound by its square roots and divisions, so two cores halve it. Results do not depend
    // on the number of blocks: every element sees the same arithmetic.
    private bool TryUpdateInParallel(Parameter parameter, Tensor[] slots, long step)
    {
        int threads = Parallelism.MaxDegreeOfParallelism;
        if (!UpdatesElementwise || threads < 2 || parameter.Value.Length < ParallelUpdateMinimum)
        {
            return false;
        }

        int parts = Math.Min(threads, parameter.Shape[0]);
        if (parts < 2)
        {
            return false;
        }

        Tensor[][] blocks = SlotBlocks(parameter, slots, parts);
        _parallelUpdate ??= new ParallelUpdate(this);
        _parallelUpdate.Run(parameter, blocks, step);
        return true;
    }

    private Tensor[][] SlotBlocks(Parameter parameter, Tensor[] slots, int parts)
    {
        if (_parallelSlots.TryGetValue(parameter, out Tensor[][]? blocks) && blocks.Length == parts && (slots.Length == 0 || blocks[0][0].SharesStorageWith(slots[0])))
        {
            return blocks;
        }

        int rows = parameter.Shape[0];
        blocks = new Tensor[parts][];
        for (int part = 0; part < parts; part++)
        {
            (int start, int count) = RowBlock(rows, parts, part);
            blocks[part] = new Tensor[slots.Length];
            for (int s = 0; s < slots.Length; s++)
            {
                blocks[part][s] = slots[s].Slice(start, count);
            }
        }

        _parallelSlots[parameter] = blocks;
        return blocks;
    }

    private static (int Start, int Count) RowBlock(int rows, int parts, int part)
    {
        int start = (int)((long)rows * part / parts);
        int end = (int)((long)rows * (part + 1) / parts);
        return (start, end - start);
    }

    // One parallel update: part p updates rows RowBlock(p) of the parameter.
    private sealed class ParallelUpdate(Optimizer owner) : GemmThreadTeam.IPartitionedWork
    {
        private Parameter? _parameter;
        private Tensor? _gradient;
        private Tensor[][]? _blocks;
        private long _step;

        public void Run(Parameter parameter, Tensor[][] blocks, long step)
        {
            _parameter = parameter;
            _gradient = parameter.Gradient; // read here: the getter may clear a discarded gradient, which is not for workers
            _blocks = blocks;
            _step = step;
            try
            {
                GemmThreadTeam.Instance.Run(this, blocks.Length);
            }
            finally
            {
                _parameter = null;
                _gradient = null;
                _blocks = null;
            }
        }

        public void RunPart(int part)
        {
            Parameter parameter = _parameter!;
            int rowLength = parameter.Value.Length / parameter.Shape[0];
            (int start, int count) = RowBlock(parameter.Shape[0], _blocks!.Length, part);
            Span<float> values = parameter.Value.AsSpan().Slice(start * rowLength, count * rowLength);
            Span<float> gradient = _gradient!.AsSpan().Slice(start * rowLength, count * rowLength);
            owner.Update(values, gradient, _blocks[part], _step);
        }
    }
}
