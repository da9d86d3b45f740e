"""pages.ui.chrome: the page chrome around every lesson."""


def test_each_element_kind_to_warm_has_its_code_file_in_streamlit():
    from pages.ui.chrome import _WARM_KINDS, _warm_files

    files = _warm_files()
    assert sorted(f.split(".")[0] for f in files) == sorted(_WARM_KINDS)  # one file each: none renamed away
