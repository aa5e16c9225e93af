using System.Globalization;

namespace NeuralNet.Layers;

// A layer made of layers (Keras tracks the layers a custom layer sets as attributes, as the subclassing guide's MLPBlock
// holds three Dense): BuildSublayer makes the inner layers' parameters the owner's, so a model counts, trains, penalises,
// saves and loads them, and the owner's copies (shared calls, concurrent predictions) run sublayers of their own.
public abstract partial class Layer
{
    // The layer whose OnForward runs on this thread, null outside any. A layer with parameters may run inside another's
    // forward pass only as a layer built through BuildInner (a sublayer, a wrapper's inner layer): otherwise its weights
    // are nobody's in the model, which would train, count and save nothing of them without a word. One thread-static read
    // and two writes per forward pass, no allocation.
    [ThreadStatic]
    private static Layer? t_running;

    private List<Layer> _sublayers = [];

    // Layers numbered in the order they are created, process-wide. Keras tracks a layer's sublayers in the order its code
    // sets them as attributes (Layer.__setattr__), which is the order they are created in when each is assigned where it is
    // made (self.dense_1 = Dense(...), in __init__ or build): Weights lists BuildSublayer's sublayers so, whatever order
    // OnBuild builds them in. Only relative order matters; a copy (MemberwiseClone) keeps its original's number.
    private static long s_created;
    private readonly long _createdAt = Interlocked.Increment(ref s_created);

    /// <summary>
    /// Leaves the running layer's forward pass for a model's own one, which a layer's code may start (a Lambda whose
    /// function calls another model's Predict, as Keras' Lambda may wrap a frozen model): that model's layers are its
    /// own, not sublayers of the running one. Returns the running layer, for <see cref="ResumeForward"/>.
    /// </summary>
    internal static Layer? SuspendForward()
    {
        Layer? outer = t_running;
        t_running = null;
        return outer;
    }

    /// <summary>Returns to the forward pass <see cref="SuspendForward"/> left.</summary>
    internal static void ResumeForward(Layer? outer) => t_running = outer;

    // The layer that built this one through BuildInner, whose parameters this one's are; null for a layer built alone.
    private Layer? _owner;

    // True while OnBuild runs: BuildSublayer is allowed only then.
    private bool _building;

    /// <summary>
    /// Builds <paramref name="sublayer"/>, a layer this one runs inside its own forward pass (Keras' layers set as attributes
    /// of a custom layer, such as the subclassing guide's <c>MLPBlock</c> holding three <c>Dense</c>), for
    /// <paramref name="inputShape"/>, and makes its parameters this layer's own: a model counts, trains, regularizes, saves
    /// and loads them, under the sublayer's name (<c>mlp_block/dense_1/kernel</c>). Call it from <see cref="OnBuild"/>, once
    /// per sublayer, and run the layer it returns.
    /// </summary>
    /// <typeparam name="TLayer">The sublayer's type.</typeparam>
    /// <param name="sublayer">An unbuilt single-input layer, given to no other layer or wrapper; unnamed, it is named after its
    /// type, numbered within this layer (<c>dense</c>, <c>dense_1</c>). A layer created in the constructor (as Keras'
    /// <c>__init__</c> does) is accepted too: see the return value.</param>
    /// <param name="inputShape">The shape of one input sample of the sublayer.</param>
    /// <returns>The instance to run, to be kept in place of <paramref name="sublayer"/> (<c>_dense = BuildSublayer(_dense, shape)</c>):
    /// <paramref name="sublayer"/> itself, except in a copy of this layer made for another call or a concurrent prediction,
    /// whose fields still point at the first instance's sublayers: the copy gets a copy of the sublayer as it was before it
    /// was built, built with the same <see cref="Parameter"/> objects and buffers of its own.</returns>
    /// <remarks>
    /// The sublayer's weights are drawn from this layer's seed, it draws its random numbers (a <see cref="Dropout"/>) from a
    /// seed derived from this layer's and its position, it is frozen with this layer (<see cref="Trainable"/>), and its
    /// <see cref="AddLoss"/> terms and activity penalties count in the model's loss. Pass it the <c>training</c> flag of
    /// <see cref="OnForward"/>, and the mask when it uses one (<see cref="Forward(Tensor, Tensor, bool)"/>). It always computes
    /// its input gradient. A layer with parameters whose forward pass runs inside this layer's without being built here
    /// throws <see cref="InvalidOperationException"/> at that forward pass, before any weight changes.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="sublayer"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="sublayer"/> is this layer, an <see cref="InputLayer"/>, already a sublayer (of this
    /// layer or another), given to a wrapper, built on its own or called on symbolic tensors, has LoRA enabled, takes a name another
    /// sublayer of this layer has, or does not accept <paramref name="inputShape"/>.</exception>
    /// <exception cref="InvalidOperationException">Called outside <see cref="OnBuild"/>.</exception>
    protected TLayer BuildSublayer<TLayer>(TLayer sublayer, TensorShape inputShape)
        where TLayer : Layer =>
        BuildSublayer(sublayer, [inputShape]);

    /// <summary>
    /// <see cref="BuildSublayer{TLayer}(TLayer, TensorShape)"/> for a sublayer of several inputs (a <see cref="MultiInputLayer"/>
    /// such as <see cref="Add"/>), with one per-sample shape per input.
    /// </summary>
    /// <typeparam name="TLayer">The sublayer's type.</typeparam>
    /// <param name="sublayer">An unbuilt layer, given to no other layer or wrapper.</param>
    /// <param name="inputShapes">The shape of one sample of each of its inputs, in call order.</param>
    /// <returns>The instance to run, kept in place of <paramref name="sublayer"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="sublayer"/> is null.</exception>
    /// <exception cref="ArgumentException">As <see cref="BuildSublayer{TLayer}(TLayer, TensorShape)"/>.</exception>
    /// <exception cref="InvalidOperationException">Called outside <see cref="OnBuild"/>.</exception>
    protected TLayer BuildSublayer<TLayer>(TLayer sublayer, params ReadOnlySpan<TensorShape> inputShapes)
        where TLayer : Layer
    {
        ArgumentNullException.ThrowIfNull(sublayer);
        if (!_building)
        {
            throw new InvalidOperationException($"{Describe()} called BuildSublayer outside OnBuild; build sublayers in OnBuild, where the layer creates its parameters.");
        }

        TLayer running = RunningSublayer(sublayer);
        string name = SublayerName(running);
        running.Name = name;
        int index = _sublayers.Count;
        running.Seed = SeededRandom.Derive(Seed, index);
        try
        {
            BuildInner(running, inputShapes, name + "/");
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{Describe()}: sublayer {index}, {running}, cannot take {FormatShapes(inputShapes)}: {e.Message}"), nameof(inputShapes), e);
        }

        running.Wrapper = this;
        _sublayers.Add(running);
        return running;
    }

    // The instance to build: the layer given, or, for a copy of this layer (or a build tried again), an unbuilt copy of the
    // sublayer the first instance built.
    private TLayer RunningSublayer<TLayer>(TLayer sublayer)
        where TLayer : Layer
    {
        string? problem = null;
        if (ReferenceEquals(sublayer, this))
        {
            problem = "is the layer itself";
        }
        else if (_sublayers.Contains(sublayer))
        {
            problem = "is already a sublayer of this layer; give each place a layer of its own";
        }
        else if (sublayer.IsBuilt && sublayer._owner is Layer owner)
        {
            if (ReferenceEquals(owner, Primary) || ReferenceEquals(owner, this))
            {
                Layer copy = sublayer.UnbuiltCopy();
                if (!ReferenceEquals(Primary, this))
                {
                    // As a shared layer's copy: Trainable, freezing and adapted state are read from the first instance's sublayer.
                    copy._primary = sublayer.Primary;
                }

                return (TLayer)copy;
            }

            problem = $"is already built inside {owner.Describe()}; give each layer sublayers of its own";
        }
        else if (sublayer is InputLayer)
        {
            problem = "is an InputLayer, which starts a model and cannot run inside a layer";
        }
        else if (sublayer.IsBuilt || sublayer._nodes.Count > 0)
        {
            problem = "is already built (by Build, a forward pass or a call on symbolic tensors); give an unbuilt layer, which BuildSublayer builds";
        }
        else if (sublayer.Wrapper is Layer wrapper)
        {
            problem = $"is already given to {wrapper.Describe()}; give each layer sublayers of its own";
        }

        if (problem is not null)
        {
            throw new ArgumentException($"{Describe()}: the sublayer {sublayer.Describe()} {problem}.", nameof(sublayer));
        }

        LowRankAdaptation.RefuseWrapping(sublayer, Describe());
        return sublayer;
    }

    // The sublayer's own name, or its type's prefix numbered past the names this layer's sublayers took.
    private string SublayerName(Layer sublayer)
    {
        if (sublayer.Name.Length > 0)
        {
            foreach (Layer other in _sublayers)
            {
                if (other.Name == sublayer.Name)
                {
                    throw new ArgumentException(
                        $"{Describe()}: two sublayers are named '{sublayer.Name}'; the layer saves each sublayer's weights under its name, so names must differ.", nameof(sublayer));
                }
            }

            return sublayer.Name;
        }

        string prefix = sublayer.DefaultNamePrefix, name = prefix;
        for (int k = 1; _sublayers.Exists(s => s.Name == name); k++)
        {
            name = string.Create(CultureInfo.InvariantCulture, $"{prefix}_{k}");
        }

        return name;
    }

    // A copy of this built layer as it was before its build (its settings), with no parameters, calls or owner.
    private Layer UnbuiltCopy()
    {
        var copy = (Layer)_template!.MemberwiseClone();
        copy._parameters = [];
        copy._nodes = [];
        copy._sublayers = [];
        copy._template = null;
        copy._primary = null;
        copy._owner = null;
        copy.Wrapper = null;
        return copy;
    }

    // Before each forward pass: the sublayers draw from this layer's seed and call (a shared layer's k-th call draws the
    // k-th streams), and a copy for another length of a variable axis from the model's instance, as Pipeline's layers.
    private void PrepareSublayers()
    {
        List<Layer>? sources = RandomSource?._sublayers;
        for (int i = 0; i < _sublayers.Count; i++)
        {
            Layer sublayer = _sublayers[i];
            sublayer.Seed = SeededRandom.Derive(Seed, i);
            sublayer.CallIndex = CallIndex;
            sublayer.RandomSource = sources is not null && i < sources.Count ? sources[i] : null;
        }
    }

    // The check at the start of a forward pass (the layer built, its input checked): a layer with parameters that runs
    // inside another's forward pass must have been built through BuildSublayer (or a wrapper's BuildInner) by that layer.
    private void CheckRunsInsideItsOwner(Layer outer)
    {
        if (ReferenceEquals(_owner, outer) || _parameters.Count == 0)
        {
            return;
        }

        string hint = _owner is null
            ? $"its {_parameters.Count} parameter(s) are not {outer.Describe()}'s, so a model would neither count, train nor save them. Build it in {outer.Describe()}'s OnBuild with BuildSublayer (_layer = BuildSublayer(_layer, inputShape)) instead of Build or a first Forward, which makes its weights the layer's own"
            : $"it was built by BuildSublayer for {_owner.Describe()}, another instance (the copy that runs another call of a shared layer or a concurrent prediction runs copies of the sublayers). Keep the layer BuildSublayer returns (_layer = BuildSublayer(_layer, inputShape)) and run that one";
        throw new InvalidOperationException($"{Describe()} runs inside the forward pass of {outer.Describe()}, but {hint}.");
    }
}
