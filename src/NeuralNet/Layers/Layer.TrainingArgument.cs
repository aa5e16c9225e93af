using NeuralNet.Models;

namespace NeuralNet.Layers;

// Keras' `layer(x, training=False)`: a call that runs in one mode whatever the model runs in, recorded on the call's
// node, so the executor, saved files and nested models' calls see it.
public abstract partial class Layer
{
    /// <summary>
    /// Calls the layer on a symbolic tensor in a fixed mode (Keras' <c>layer(x, training=False)</c>): with
    /// <paramref name="training"/> false this call runs in inference mode even while the model trains (dropout keeps
    /// everything, batch normalization normalizes with its moving statistics and leaves them as they are, while its
    /// <c>gamma</c> and <c>beta</c> still train); with true it runs in training mode even in <c>Predict</c> (Monte Carlo
    /// dropout).
    /// </summary>
    /// <param name="input">The symbolic input.</param>
    /// <param name="training">The mode of this call.</param>
    /// <returns>The symbolic output.</returns>
    /// <exception cref="ArgumentException">As for <see cref="Call(SymbolicTensor)"/>.</exception>
    /// <exception cref="InvalidOperationException">As for <see cref="Call(SymbolicTensor)"/>.</exception>
    public SymbolicTensor Call(SymbolicTensor input, bool training)
    {
        SymbolicTensor output = Call(input);
        output.Node.Training = training;
        return output;
    }

    /// <summary>
    /// Calls the layer on symbolic tensors in a fixed mode and returns all its outputs; see <see cref="Call(SymbolicTensor, bool)"/>
    /// and <see cref="CallOutputs(ReadOnlySpan{SymbolicTensor})"/>.
    /// </summary>
    /// <param name="inputs">The symbolic inputs, in order.</param>
    /// <param name="training">The mode of this call.</param>
    /// <returns>The symbolic outputs.</returns>
    /// <exception cref="ArgumentException">As for <see cref="CallOutputs(ReadOnlySpan{SymbolicTensor})"/>.</exception>
    /// <exception cref="InvalidOperationException">As for <see cref="CallOutputs(ReadOnlySpan{SymbolicTensor})"/>.</exception>
    public SymbolicTensor[] CallOutputs(ReadOnlySpan<SymbolicTensor> inputs, bool training)
    {
        SymbolicTensor[] outputs = CallOutputs(inputs);
        outputs[0].Node.Training = training;
        return outputs;
    }
}
