"""Shared page helpers that are plain Python (no running script needed)."""
import pandas as pd
import plotly.graph_objects as go

from ui.common import compact_columns, italian_table, serialised_once


def test_a_figure_is_serialised_once_and_stays_equal():
    fig = go.Figure(go.Bar(x=[1, 2], y=[3, 4]))
    expected = go.Figure(fig).to_dict()
    shown = serialised_once(fig)
    first = shown.to_dict()
    assert first == expected
    assert shown.to_dict() is first and serialised_once(shown).to_dict() is first


def test_a_frozen_figure_gives_streamlit_its_json_once_and_other_figures_are_untouched():
    import plotly.io as pio

    # an explicit template: the JSON must not depend on plotly's global default, which other tests' imports change
    fig = go.Figure(go.Bar(x=[1, 2], y=[3, 4]), layout={"template": "plotly_white"})
    expected = pio.to_json(go.Figure(fig), validate=False)
    shown = serialised_once(fig)
    first = pio.to_json(shown.to_dict(), validate=False)    # what st.plotly_chart calls
    assert first == expected and pio.to_json(shown.to_dict(), validate=False) is first
    assert pio.to_json(shown, validate=False) == first
    assert pio.to_json(shown.to_dict(), pretty=True) != first    # other options still go to plotly
    other = go.Figure(go.Bar(x=[5], y=[6]))
    assert '"x":[5]' in pio.to_json(other, validate=False).replace(" ", "")


def test_long_text_columns_give_way_so_the_table_fits_and_numbers_are_in_italian():
    df = pd.DataFrame({"t": ["x" * 80, "breve"], "p": [83.456, None], "n": ["A", "B"]})
    view = italian_table(df, {"n": ("Codice", None), "t": ("Descrizione", None), "p": ("Raggiungimento", "pct")})
    assert list(view.columns) == ["Codice", "Descrizione", "Raggiungimento"]
    assert view["Raggiungimento"].tolist() == ["83,5%", "—"]
    kinds = {"Codice": None, "Descrizione": None, "Raggiungimento": "pct"}
    wide = {k: c["width"] for k, c in compact_columns(view, kinds, room=2000).items()}
    assert wide["Descrizione"] > wide["Raggiungimento"] > wide["Codice"] >= len("Codice") * 7   # natural widths
    narrow = {k: c["width"] for k, c in compact_columns(view, kinds, room=300).items()}
    assert sum(narrow.values()) <= 300                                   # fits: no column hidden at the right
    assert narrow["Raggiungimento"] < wide["Raggiungimento"]            # a header longer than its values gives way
    assert narrow["Raggiungimento"] >= 24 + 7.2 * len("83,5%")          # ... down to its values, not further
    assert 90 <= narrow["Descrizione"] < wide["Descrizione"]


def test_the_uploader_states_the_one_upload_limit():
    """Issue 15: the uploader said «fino a 20 MB» while the limit is 50 MB; the text now comes from the limit."""
    import re

    from loaders.workbook import MAX_FILE_BYTES
    from ui.common import ITALIAN_DOCUMENT
    said = re.findall(r"fino a (\d+) MB", ITALIAN_DOCUMENT)
    assert said == [str(MAX_FILE_BYTES // (1024 * 1024))] == ["50"]
