namespace NeuralNet.Layers;

/// <summary>What <see cref="Bidirectional"/> reads of the layer it wraps: the settings <see cref="Recurrent"/> (SimpleRnn, Lstm, Gru) and <see cref="Rnn"/> share.</summary>
internal interface IRecurrentLayer : IStatefulLayer
{
    /// <summary>Whether the output holds every step's output rather than the last.</summary>
    bool ReturnSequences { get; }

    /// <summary>Whether the layer's further outputs are its final states.</summary>
    bool ReturnState { get; }

    /// <summary>Whether the steps run from the last time step to the first.</summary>
    bool GoBackwards { get; }

    /// <summary>The number of states the layer carries (initial states it takes, final states it returns).</summary>
    int StateCount { get; }
}
