"""An example of your own network (docs/models.md): point `train.network` at a function here, e.g.
`fairgate run -S train.network=networks/example_net.py:build`. fairgate's training loop, early stopping, AMP and
logging apply unchanged. Editing a file in networks/ reruns train (a DVC dependency) and nothing before it."""


def build(n_features: int):
    """A torch network: (rows, n_features) in, one logit per row out."""
    from torch import nn

    return nn.Sequential(nn.Linear(n_features, 48), nn.GELU(), nn.LayerNorm(48), nn.Dropout(0.1),
                         nn.Linear(48, 1))


def build_keras(n_features: int):
    """A Keras network for `train.framework: tensorflow`: (rows, n_features) in, one probability per row out."""
    import keras

    return keras.Sequential([keras.Input(shape=(n_features,)), keras.layers.Dense(48, activation="gelu"),
                             keras.layers.LayerNormalization(), keras.layers.Dropout(0.1),
                             keras.layers.Dense(1, activation="sigmoid", dtype="float32")])
