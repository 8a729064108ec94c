"""Pure chart builders: DataFrame in, Plotly figure out. No Streamlit, no database."""
