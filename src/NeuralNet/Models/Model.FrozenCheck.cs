namespace NeuralNet.Models;

// Training a model whose every parameter is frozen is a silent no-op; Keras 3 warns on each step ("The model does not
// have any trainable weights."). The classic Keras 2 GAN recipe (compile the discriminator, freeze it, compile the
// combined model, then train both) ends there, since trainable takes effect at once here as in Keras 3.
public abstract partial class Model
{
    // Only frozen parameters count (their layer's flag or their own): an unfrozen BatchNormalization without center and scale has no trainable
    // weight but still updates its moving statistics in training (AdaBN-style recalibration), which is not refused.
    private void RequireTrainableParameters(string method)
    {
        IReadOnlyList<Parameter> parameters = Parameters;
        if (parameters.Count == 0)
        {
            return;
        }

        for (int i = 0; i < parameters.Count; i++)
        {
            if (!parameters[i].Frozen)
            {
                return;
            }
        }

        throw new InvalidOperationException(
            $"{method} on model '{Name}', whose {ParameterCount} parameters are all frozen (in layers with Trainable = false, or each with Parameter.Trainable = false): the step would change no weight. " +
            "Set Trainable = true on the layers (or the model) to train; the change takes effect at once, with no Compile needed (Keras 3 trains nothing here and warns).");
    }
}
