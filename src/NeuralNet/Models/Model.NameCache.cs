namespace NeuralNet.Models;

// The input and output names for the checks of a batch call on data or weights keyed by name: InputNames and OutputNames
// make new lists on every read, so the checks keep theirs and make them again only when a layer they come from has
// another name (a model called in a larger one may rename its layers), compared by reference, without allocating.
public abstract partial class Model
{
    private string[] _inputNamesFrom = [];
    private string[] _outputNamesFrom = [];
    private IReadOnlyList<string> _inputNames = [];
    private IReadOnlyList<string> _outputNames = [];

    /// <summary>The name output <paramref name="k"/>'s entry of <see cref="OutputNames"/> is made from (the names are made from these alone).</summary>
    private protected virtual string OutputNameSource(int k) => Outputs[k].Layer.Name;

    // InputNames, kept while the input layers keep their names.
    private IReadOnlyList<string> CachedInputNames()
    {
        IReadOnlyList<SymbolicTensor> inputs = Inputs;
        bool same = _inputNamesFrom.Length == inputs.Count;
        for (int i = 0; same && i < inputs.Count; i++)
        {
            same = ReferenceEquals(_inputNamesFrom[i], inputs[i].Layer.Name);
        }

        if (!same)
        {
            _inputNames = InputNames;
            _inputNamesFrom = [.. _inputNames];
        }

        return _inputNames;
    }

    // OutputNames, kept while the names they are made from stay the same.
    private IReadOnlyList<string> CachedOutputNames()
    {
        int count = Outputs.Count;
        bool same = _outputNamesFrom.Length == count;
        for (int k = 0; same && k < count; k++)
        {
            same = ReferenceEquals(_outputNamesFrom[k], OutputNameSource(k));
        }

        if (!same)
        {
            var from = new string[count];
            for (int k = 0; k < count; k++)
            {
                from[k] = OutputNameSource(k);
            }

            _outputNames = OutputNames;
            _outputNamesFrom = from;
        }

        return _outputNames;
    }
}
