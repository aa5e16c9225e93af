namespace NeuralNet.Datasets;

// A stream of batches: a fresh enumeration per pass, or, when continuing, one enumeration carried from pass to pass and
// started over when it ends.
internal sealed class EnumerableSource(IEnumerable<DataBatch> batches) : DataSource
{
    private IEnumerator<DataBatch>? _continued;

    internal override int? BatchesPerPass => batches switch
    {
        IReadOnlyCollection<DataBatch> collection => collection.Count,
        ICollection<DataBatch> collection => collection.Count,
        _ => null,
    };

    internal override IEnumerator<DataBatch> OpenPass(int epoch, int? steps, bool shuffle, long seed, bool continuing, CancellationToken cancellationToken) =>
        continuing && steps is int count ? Continue(count) : Pass(steps ?? int.MaxValue);

    internal override void Close()
    {
        _continued?.Dispose();
        _continued = null;
    }

    private IEnumerator<DataBatch> Pass(int steps)
    {
        using IEnumerator<DataBatch> enumerator = batches.GetEnumerator();
        for (int i = 0; i < steps && enumerator.MoveNext(); i++)
        {
            yield return enumerator.Current;
        }
    }

    private IEnumerator<DataBatch> Continue(int steps)
    {
        for (int i = 0; i < steps; i++)
        {
            _continued ??= batches.GetEnumerator();
            if (!_continued.MoveNext())
            {
                // The stream ended: start it over, once; a stream that is empty from the start ends the pass.
                _continued.Dispose();
                _continued = batches.GetEnumerator();
                if (!_continued.MoveNext())
                {
                    yield break;
                }
            }

            yield return _continued.Current;
        }
    }
}
