"""The notebook face: the %%ltx / %ltx magics, the cell parser, following a cell live."""
