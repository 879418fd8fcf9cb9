agent = Agent(llm="openai", profile=True)
# Learns patterns from interactions, embedded in system prompt
