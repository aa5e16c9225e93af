using Xunit;

namespace NeuralNet.Data.Tests;

/// <summary>Keras' text_dataset_utils_test.py, transcribed: counts, label shapes, split sizes and errors.</summary>
public class TextFolderKerasTests
{
    // Python's string.printable: digits, letters, punctuation and whitespace.
    private const string Printable = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ \t\n\r\x0b\x0c";

    /// <summary>Keras' <c>_prepare_directory</c>: class_i folders (with nested sub-folders), files text_i.txt dealt round them, random printable texts.</summary>
    internal static TempFolder PrepareDirectory(int numClasses = 2, bool nestedDirs = false, int count = 16, int length = 20)
    {
        var folder = new TempFolder();
        var paths = new List<string>();
        for (int c = 0; c < numClasses; c++)
        {
            string classDirectory = $"class_{c}";
            string[] classPaths = nestedDirs
                ? [classDirectory, Path.Combine(classDirectory, "subfolder_1"), Path.Combine(classDirectory, "subfolder_2"), Path.Combine(classDirectory, "subfolder_1", "sub-subfolder")]
                : [classDirectory];
            foreach (string path in classPaths)
            {
                Directory.CreateDirectory(Path.Combine(folder.Root, path));
            }

            paths.AddRange(classPaths);
        }

        var random = new Random(count * 31 + numClasses);
        for (int i = 0; i < count; i++)
        {
            string text = new([.. Enumerable.Range(0, length).Select(_ => Printable[random.Next(Printable.Length)])]);
            File.WriteAllText(Path.Combine(folder.Root, paths[i % paths.Count], $"text_{i}.txt"), text);
        }

        return folder;
    }

    [Fact]
    public void Load_Standalone_TextsOfTheWholeTreeWithoutLabelsCutToMaxLength()
    {
        using TempFolder folder = PrepareDirectory(count: 7, numClasses: 2);
        for (int i = 0; i < 3; i++)
        {
            folder.WriteText($"text_{i}.txt", new string('x', 20));
        }

        TextFolderData data = TextFolder.Load(folder.Root, new TextFolderOptions { LabelMode = FolderLabelMode.None, MaxLength = 10 });

        Assert.Equal(10, data.Count);
        Assert.Null(data.Labels);
        Assert.Empty(data.ClassNames);
        Assert.All(data.Texts, t => Assert.Equal(10, t.Length));
    }

    [Fact]
    public void Load_TwoClasses_IntBinaryAndCategoricalLabelShapes()
    {
        using TempFolder folder = PrepareDirectory(numClasses: 2);

        TextFolderData integer = TextFolder.Load(folder.Root, new TextFolderOptions { LabelMode = FolderLabelMode.Integer, MaxLength = 10 });
        Assert.Equal(16, integer.Count);
        Assert.Equal(10, integer.Texts[0].Length);
        Assert.Equal(new TensorShape(16), integer.Labels!.Shape);

        TextFolderData binary = TextFolder.Load(folder.Root, new TextFolderOptions { LabelMode = FolderLabelMode.Binary });
        Assert.Equal(20, binary.Texts[0].Length);
        Assert.Equal(new TensorShape(16, 1), binary.Labels!.Shape);

        TextFolderData categorical = TextFolder.Load(folder.Root, new TextFolderOptions { LabelMode = FolderLabelMode.Categorical });
        Assert.Equal(new TensorShape(16, 2), categorical.Labels!.Shape);
    }

    [Fact]
    public void Load_FourClassesFifteenFiles_SampleCountAndMulticlassShapes()
    {
        using TempFolder folder = PrepareDirectory(numClasses: 4, count: 15);

        Assert.Equal(15, TextFolder.Load(folder.Root, new TextFolderOptions { LabelMode = FolderLabelMode.None }).Count);
        TextFolderData integer = TextFolder.Load(folder.Root);
        Assert.Equal(new TensorShape(15), integer.Labels!.Shape);
        Assert.Equal(["class_0", "class_1", "class_2", "class_3"], integer.ClassNames);
        TextFolderData categorical = TextFolder.Load(folder.Root, new TextFolderOptions { LabelMode = FolderLabelMode.Categorical });
        Assert.Equal(new TensorShape(15, 4), categorical.Labels!.Shape);
    }

    [Fact]
    public void Load_ValidationSplit02Seed1337_EightForTrainingTwoForValidation()
    {
        using TempFolder folder = PrepareDirectory(numClasses: 2, count: 10);

        TextFolderData training = TextFolder.Load(folder.Root, new TextFolderOptions { ValidationSplit = 0.2, Subset = FolderSubset.Training, Seed = 1337 });
        TextFolderData validation = TextFolder.Load(folder.Root, new TextFolderOptions { ValidationSplit = 0.2, Subset = FolderSubset.Validation, Seed = 1337 });
        (TextFolderData both1, TextFolderData both2) = TextFolder.LoadSplit(folder.Root, new TextFolderOptions { ValidationSplit = 0.2, Seed = 1337 });

        Assert.Equal(8, training.Count);
        Assert.Equal(2, validation.Count);
        Assert.Equal(training.FilePaths, both1.FilePaths);
        Assert.Equal(validation.FilePaths, both2.FilePaths);
        Assert.Equal(8, training.Labels!.Shape[0]);
    }

    [Fact]
    public void Load_ManualLabelsUnshuffled_TheLabelsGiven()
    {
        using TempFolder folder = PrepareDirectory(numClasses: 2, count: 2);

        TextFolderData data = TextFolder.Load(folder.Root, new TextFolderOptions { Labels = [0, 1], Shuffle = false });

        Assert.Equal([0f, 1f], data.Labels!.ToArray());
        Assert.Equal(["0", "1"], data.ClassNames);
    }

    [Fact]
    public void Load_NestedFoldersFollowLinks_Counts25()
    {
        using TempFolder folder = PrepareDirectory(numClasses: 2, count: 25, nestedDirs: true);
        TextFolderData data = TextFolder.Load(folder.Root, new TextFolderOptions { LabelMode = FolderLabelMode.None, FollowLinks = true });
        Assert.Equal(25, data.Count);
    }

    [Fact]
    public void Load_NoFiles_NoTextFilesFound()
    {
        using TempFolder folder = PrepareDirectory(numClasses: 2, count: 0);
        var ex = Assert.Throws<InvalidDataException>(() => TextFolder.Load(folder.Root));
        Assert.Equal($"No text files found in '{folder.Root}' (classes class_0, class_1); expected files ending with .txt.", ex.Message);
    }

    [Fact]
    public void Load_KerasErrorCases_ArgumentExceptionsNamingOptions()
    {
        using TempFolder folder = PrepareDirectory(numClasses: 3, count: 5);
        void Fails(TextFolderOptions options, string expected)
        {
            var ex = Assert.Throws<ArgumentException>(() => TextFolder.Load(folder.Root, options));
            Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
            Assert.Equal("options", ex.ParamName);
        }

        Fails(new TextFolderOptions { LabelMode = (FolderLabelMode)7 }, "LabelMode (7) or Subset () is out of range");
        Fails(new TextFolderOptions { Labels = [0, 0, 1, 1, 1], ClassNames = ["class_0", "class_1", "class_2"] }, "ClassNames can only be given when the labels are inferred (Labels null). Received: Labels=[0, 0, 1, 1, 1], and ClassNames=[class_0, class_1, class_2].");
        Fails(new TextFolderOptions { Labels = [0, 0, 1, 1] }, $"Expected the lengths of Labels to match the number of files in the target directory. Labels has 4 while we found 5 text files in '{folder.Root}'.");
        Fails(new TextFolderOptions { ClassNames = ["class_0", "wrong_class"] }, $"Class 'wrong_class' of ClassNames is not a sub-folder of '{folder.Root}'; expected names among: class_0, class_1, class_2.");
        Fails(new TextFolderOptions { LabelMode = FolderLabelMode.Binary }, "When LabelMode is Binary, there must be exactly 2 classes. Received: 3 (class_0, class_1, class_2)");
        Fails(new TextFolderOptions { ValidationSplit = 2 }, "ValidationSplit must be between 0 and 1 (0 for no split). Received: 2.");
        Fails(new TextFolderOptions { ValidationSplit = 0.2, Subset = (FolderSubset)5 }, "LabelMode (0) or Subset (5) is out of range");
        Fails(new TextFolderOptions { ValidationSplit = 0.0, Subset = FolderSubset.Training }, "If Subset is set, ValidationSplit must be set, and inversely.");
        Fails(new TextFolderOptions { ValidationSplit = 0.2, Subset = FolderSubset.Training }, "If using ValidationSplit and shuffling the data, you must provide a Seed");
    }
}
