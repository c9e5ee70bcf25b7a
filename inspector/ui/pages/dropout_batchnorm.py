import streamlit as st
st.title("Dropout & BatchNorm")
