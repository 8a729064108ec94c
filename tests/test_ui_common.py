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


def test_long_text_columns_are_kept_narrow_and_numbers_formatted_in_italian():
    df = pd.DataFrame({"t": ["x" * 80, "breve"], "p": [83.456, None], "n": ["A", "B"]})
    view = italian_table(df, {"n": ("Codice", None), "t": ("Descrizione", None), "p": ("Raggiungimento", "pct")})
    assert list(view.columns) == ["Codice", "Descrizione", "Raggiungimento"]
    assert view["Raggiungimento"].tolist() == ["83,5%", "—"]
    config = compact_columns(view, {"Codice": None, "Descrizione": None, "Raggiungimento": "pct"})
    assert set(config) == {"Descrizione"}
