namespace NeuralNet.Models;

// Training a model whose every parameter is frozen is a silent no-op; Keras 3 warns on each step ("The model does not
// have any trainable weights."). The classic Keras 2 GAN recipe (compile the discriminator, freeze it, compile the
// combined model, then train both) ends there, since trainable takes effect at once here as in Keras 3.
public abstract partial class Model
{
    private void RequireTrainableParameters(string method)
    {
        if (ParameterCount > 0 && TrainableParameterCount == 0)
        {
            throw new InvalidOperationException(
                $"{method} on model '{Name}', whose {ParameterCount} parameters are all frozen (Trainable = false): the step would change no weight. " +
                "A change of Trainable takes effect at once, with no Compile needed (Keras 3); to train a discriminator frozen inside a combined GAN model, set discriminator.Trainable = true before training it and false before training the combined model.");
        }
    }
}
